import type { Point } from '../../site/schema.ts';
import type { MissionStep, WaypointStep } from '../vehicle/mission-steps.ts';
import { LocalFrame } from '../geo/local-frame.ts';
import { pathLengthM } from '../geo/polyline.ts';
import { avoidZones } from './avoid-zones.ts';
import type { RingPlan, Sortie } from './types.ts';

export interface PatrolMission {
  /** What the drone flies, in order (control/vehicle/mission-encoder.ts makes MAVLink items of them). */
  steps: MissionStep[];
  /** Index in `steps` of the first loop waypoint; the loop step returns here. */
  loopStartIndex: number;
  laps: number;
  /**
   * For each step, the index in `ring.loop` of the vertex it flies to (undefined for
   * other steps): reaching that step is a pass over that vertex.
   */
  loopVertexOf: (number | undefined)[];
}

/**
 * The mission a drone flies for one sortie: take off at its dock, fly to where it joins
 * the loop (around no-fly zones), fly the loop from there for as many laps as its
 * on-station time allows (DO_JUMP), then return to launch. The return is in the mission
 * itself, so a drone that loses its link still comes home on time with its reserve.
 * Steps, not MAVLink items: which autopilot flies it is the encoder's business.
 */
export function patrolMission(
  ring: RingPlan,
  sortie: Sortie,
  dock: Point,
  zones: { polygon: { xM: number; yM: number }[] }[],
  frame: LocalFrame,
): PatrolMission {
  const alt = ring.altitudeRelM;
  const waypoint = (p: Point): WaypointStep => ({ kind: 'waypoint', latDeg: p.latDeg, lonDeg: p.lonDeg, altRelM: alt });
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

  const steps: MissionStep[] = [
    { kind: 'takeoff', altRelM: alt, at: { latDeg: dock.latDeg, lonDeg: dock.lonDeg } },
    { kind: 'speed', speedMps: ring.speedMps },
    ...transit.map(waypoint),
  ];
  const loopStartIndex = steps.length;
  const loopVertexOf: (number | undefined)[] = steps.map(() => undefined);
  const vertexAt = (k: number) => (joinIndex + k) % loop.length;
  if (laps >= 1) {
    steps.push(...loop.map(waypoint));
    loopVertexOf.push(...loop.map((_, k) => vertexAt(k)));
    // The first lap is flown above; the loop step repeats it for the rest.
    if (laps > 1) {
      steps.push({ kind: 'loop', toStepIndex: loopStartIndex, repeat: laps - 1 });
      loopVertexOf.push(undefined);
    }
  }
  const loopXyRotated = loop.map((p) => frame.toXy(p));
  let walked = 0;
  for (let i = 0; i < loop.length; i++) {
    const a = loopXyRotated[i]!;
    const b = loopXyRotated[(i + 1) % loop.length]!;
    steps.push(waypoint(loop[i]!));
    loopVertexOf.push(vertexAt(i));
    const seg = Math.hypot(b.xM - a.xM, b.yM - a.yM);
    if (walked + seg >= remainderM) {
      const t = seg === 0 ? 0 : (remainderM - walked) / seg;
      steps.push(waypoint(frame.toPoint({ xM: a.xM + (b.xM - a.xM) * t, yM: a.yM + (b.yM - a.yM) * t })));
      loopVertexOf.push(undefined);
      break;
    }
    walked += seg;
  }
  steps.push({ kind: 'return' });
  loopVertexOf.push(undefined);
  return { steps, loopStartIndex, laps, loopVertexOf };
}
