import type { Shape } from '../../site/schema.ts';
import type { LocalFrame, Xy } from '../geo/local-frame.ts';
import { shapeToXy } from '../geo/shapes.ts';
import { pathLengthM, polygonAreaM2, projectOnPath } from '../geo/polyline.ts';
import { avoidZones, type Waypoint } from './avoid-zones.ts';
import { zoneContaining } from './zones.ts';

export interface RingLoopInput {
  frame: LocalFrame;
  ringShape: Shape;
  /** The next ring in (or the core), whose area is not part of this ring. */
  innerShape: Shape;
  checkpoints: { id: string; xy: Xy }[];
  zones: { id: string; polygon: Xy[] }[];
  /** How far inside the ring's outer boundary the loop runs; capped at a quarter of the ring's width. */
  insetM: number;
}

export interface RingLoop {
  path: Waypoint[];
  lengthM: number;
  covered: string[];
  missed: { id: string; reason: string }[];
  /** Set when no-fly zones make a closed loop impossible. */
  blocked: boolean;
}

/**
 * The ring's patrol loop: its outer boundary pulled inward, with an out-and-back spur
 * to each of its checkpoints (the patrol looks at every joint-defence point on every
 * lap), rerouted around no-fly zones.
 */
export function buildRingLoop(input: RingLoopInput): RingLoop {
  const outer = shapeToXy(input.ringShape, input.frame, 0);
  const inner = shapeToXy(input.innerShape, input.frame, 0);
  const widthM = Math.sqrt(polygonAreaM2(outer) / Math.PI) - Math.sqrt(polygonAreaM2(inner) / Math.PI);
  const insetM = Math.min(input.insetM, Math.max(0, widthM / 4));
  let path: Waypoint[] = shapeToXy(input.ringShape, input.frame, -insetM);

  const covered: string[] = [];
  const missed: { id: string; reason: string }[] = [];
  // Spurs are inserted back to front so earlier segment indices stay valid.
  const spurs = input.checkpoints
    .map((c) => ({ c, proj: projectOnPath(path, c.xy, true) }))
    .filter(({ c }) => {
      const zone = zoneContaining(c.xy, input.zones);
      if (zone) missed.push({ id: c.id, reason: `inside no-fly zone ${zone}` });
      return !zone;
    })
    .sort((a, b) => b.proj.sM - a.proj.sM);
  for (const { c, proj } of spurs) {
    const spur: Waypoint[] = proj.distM < 1 ? [{ ...c.xy, checkpointId: c.id }] : [{ ...proj.at }, { ...c.xy, checkpointId: c.id }, { ...proj.at }];
    path = [...path.slice(0, proj.segment + 1), ...spur, ...path.slice(proj.segment + 1)];
  }

  const avoided = avoidZones(path, input.zones.map((z) => z.polygon), true);
  path = avoided.path;
  const present = new Set(path.map((p) => p.checkpointId).filter((id): id is string => id !== undefined));
  for (const { c } of spurs) {
    if (present.has(c.id)) covered.push(c.id);
    else missed.push({ id: c.id, reason: 'unreachable around no-fly zones' });
  }
  covered.sort();
  return { path, lengthM: pathLengthM(path, true), covered, missed, blocked: avoided.blocked };
}
