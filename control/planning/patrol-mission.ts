import { common } from 'node-mavlink';
import type { Point } from '../../site/schema.ts';
import type { PlanItem } from '../vehicle/plan-item.ts';
import { LocalFrame } from '../geo/local-frame.ts';
import { pathLengthM } from '../geo/polyline.ts';
import { avoidZones } from './avoid-zones.ts';
import type { RingPlan, Sortie } from './types.ts';

const FRAME = common.MavFrame.GLOBAL_RELATIVE_ALT_INT;

function item(command: number, p: Point | undefined, altitudeRelM: number, params: [number, number, number, number] = [0, 0, 0, 0]): PlanItem {
  return {
    command,
    frame: FRAME,
    param1: params[0],
    param2: params[1],
    param3: params[2],
    param4: params[3],
    x: p ? Math.round(p.latDeg * 1e7) : 0,
    y: p ? Math.round(p.lonDeg * 1e7) : 0,
    z: altitudeRelM,
    autocontinue: true,
  };
}

export interface PatrolMission {
  items: PlanItem[];
  /** Index (in `items`, home excluded) of the first loop waypoint; DO_JUMP returns here. */
  loopStartIndex: number;
  laps: number;
  /**
   * For each item, the index in `ring.loop` of the vertex it flies to (undefined for
   * other items): a MISSION_ITEM_REACHED for that item is a pass over that vertex.
   */
  loopVertexOf: (number | undefined)[];
}

/**
 * The mission a drone flies for one sortie: take off at its dock, fly to where it joins
 * the loop (around no-fly zones), fly the loop from there for as many laps as its
 * on-station time allows (DO_JUMP), then return to launch. The return is in the mission
 * itself, so a drone that loses its link still comes home on time with its reserve.
 */
export function patrolMission(
  ring: RingPlan,
  sortie: Sortie,
  dock: Point,
  zones: { polygon: { xM: number; yM: number }[] }[],
  frame: LocalFrame,
  /** Wire sequence of items[0]: 1 on ArduPilot (item 0 is home), 0 on PX4. */
  firstSeq = 1,
): PatrolMission {
  const alt = ring.altitudeRelM;
  const loopXy = ring.loop.map((p) => frame.toXy(p));
  // Rotate the loop so it starts at the vertex after the join point.
  const L = pathLengthM(loopXy, true);
  let joinIndex = 0;
  let acc = 0;
  for (let i = 0; i < loopXy.length; i++) {
    const next = loopXy[(i + 1) % loopXy.length]!;
    const seg = Math.hypot(next.xM - loopXy[i]!.xM, next.yM - loopXy[i]!.yM);
    if (acc + seg >= sortie.joinAtM) {
      joinIndex = (i + 1) % loopXy.length;
      break;
    }
    acc += seg;
  }
  const loop = [...ring.loop.slice(joinIndex), ...ring.loop.slice(0, joinIndex)];
  const transit = avoidZones([frame.toXy(dock), frame.toXy(loop[0]!)], zones.map((z) => z.polygon), false).path.slice(1, -1).map((q) => frame.toPoint(q));

  // Fly exactly the distance the on-station time allows: whole laps by DO_JUMP, then
  // the part of one more lap that still fits, then home.
  const onStationS = (sortie.offStationAtMs - sortie.onStationAtMs) / 1000;
  // The loop is flown at its mean speed (slower than commanded: corners), not at speedMps.
  const distanceM = Math.max(0, onStationS * ring.meanSpeedMps);
  const laps = Math.floor(distanceM / L);
  const remainderM = distanceM - laps * L;

  const items: PlanItem[] = [
    item(common.MavCmd.NAV_TAKEOFF, dock, alt),
    item(common.MavCmd.DO_CHANGE_SPEED, undefined, 0, [1, ring.speedMps, -1, 0]),
    ...transit.map((p) => item(common.MavCmd.NAV_WAYPOINT, p, alt)),
  ];
  const loopStartIndex = items.length;
  const loopVertexOf: (number | undefined)[] = items.map(() => undefined);
  const vertexAt = (k: number) => (joinIndex + k) % loop.length;
  if (laps >= 1) {
    items.push(...loop.map((p) => item(common.MavCmd.NAV_WAYPOINT, p, alt)));
    loopVertexOf.push(...loop.map((_, k) => vertexAt(k)));
    // DO_JUMP: param1 = target wire sequence, param2 = repeats.
    if (laps > 1) {
      items.push(item(common.MavCmd.DO_JUMP, undefined, 0, [loopStartIndex + firstSeq, laps - 1, 0, 0]));
      loopVertexOf.push(undefined);
    }
  }
  const loopXyRotated = loop.map((p) => frame.toXy(p));
  let walked = 0;
  for (let i = 0; i < loop.length; i++) {
    const a = loopXyRotated[i]!;
    const b = loopXyRotated[(i + 1) % loop.length]!;
    items.push(item(common.MavCmd.NAV_WAYPOINT, loop[i], alt));
    loopVertexOf.push(vertexAt(i));
    const seg = Math.hypot(b.xM - a.xM, b.yM - a.yM);
    if (walked + seg >= remainderM) {
      const t = seg === 0 ? 0 : (remainderM - walked) / seg;
      items.push(item(common.MavCmd.NAV_WAYPOINT, frame.toPoint({ xM: a.xM + (b.xM - a.xM) * t, yM: a.yM + (b.yM - a.yM) * t }), alt));
      loopVertexOf.push(undefined);
      break;
    }
    walked += seg;
  }
  items.push(item(common.MavCmd.NAV_RETURN_TO_LAUNCH, undefined, 0));
  loopVertexOf.push(undefined);
  return { items, loopStartIndex, laps, loopVertexOf };
}
