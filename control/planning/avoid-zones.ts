import { distXy, type Xy } from '../geo/local-frame.ts';
import { pointInPolygonXy, segmentIntersection } from '../geo/polyline.ts';

/** A vertex that may carry the id of the checkpoint it visits. */
export type Waypoint = Xy & { checkpointId?: string };

interface Crossing {
  /** Position along the path: segment index + t. */
  pathPos: number;
  /** Position along the zone boundary: edge index + u. */
  zonePos: number;
  at: Xy;
}

/**
 * Reroutes a path around no-fly polygons (already grown by the safety margin): every
 * stretch inside a zone is replaced by the shorter way round its boundary. Zones are
 * handled one after another, so a detour that clips a second zone is fixed by the next
 * pass. Returns `blocked` when the path starts or ends inside a zone, which no detour
 * can mend (for closed paths: when every vertex is inside).
 */
export function avoidZones(path: Waypoint[], zones: Xy[][], closed: boolean): { path: Waypoint[]; blocked: boolean } {
  let out = path;
  let blocked = false;
  for (const zone of zones) {
    if (zone.length < 3 || out.length < 2) continue;
    const r = avoidOne(out, zone, closed);
    out = r.path;
    blocked ||= r.blocked;
  }
  return { path: out, blocked };
}

function avoidOne(path: Waypoint[], zone: Xy[], closed: boolean): { path: Waypoint[]; blocked: boolean } {
  if (closed) {
    // Start the walk outside the zone so crossings pair up as (entry, exit).
    const start = path.findIndex((p) => !pointInPolygonXy(p, zone));
    if (start < 0) return { path, blocked: true };
    path = [...path.slice(start), ...path.slice(0, start)];
  } else if (pointInPolygonXy(path[0]!, zone) || pointInPolygonXy(path[path.length - 1]!, zone)) {
    return { path, blocked: true };
  }
  const crossings = findCrossings(path, zone, closed);
  if (crossings.length < 2) return { path, blocked: false };

  const out: Waypoint[] = [];
  let ci = 0;
  const segs = closed ? path.length : path.length - 1;
  for (let i = 0; i < segs; i++) {
    out.push(path[i]!);
    // Each pair of crossings on or after this segment starts a detour here.
    while (ci + 1 < crossings.length && Math.floor(crossings[ci]!.pathPos) === i) {
      const entry = crossings[ci]!;
      const exit = crossings[ci + 1]!;
      out.push({ ...entry.at }, ...boundaryBetween(zone, entry, exit), { ...exit.at });
      ci += 2;
      i = Math.floor(exit.pathPos); // continue with the segment the exit lies on
    }
  }
  if (!closed) out.push(path[path.length - 1]!);
  return { path: dedupe(out), blocked: false };
}

function findCrossings(path: Xy[], zone: Xy[], closed: boolean): Crossing[] {
  const found: Crossing[] = [];
  const n = path.length;
  const segs = closed ? n : n - 1;
  for (let i = 0; i < segs; i++) {
    const a = path[i]!;
    const b = path[(i + 1) % n]!;
    for (let j = 0; j < zone.length; j++) {
      const hit = segmentIntersection(a, b, zone[j]!, zone[(j + 1) % zone.length]!);
      if (!hit) continue;
      found.push({
        pathPos: i + Math.min(hit.t, 0.999999),
        zonePos: j + hit.u,
        at: { xM: a.xM + (b.xM - a.xM) * hit.t, yM: a.yM + (b.yM - a.yM) * hit.t },
      });
    }
  }
  found.sort((x, y) => x.pathPos - y.pathPos);
  // A path grazing a vertex is reported by both edges; keep one.
  return found.filter((c, k) => k === 0 || distXy(c.at, found[k - 1]!.at) > 0.01);
}

/**
 * Boundary vertices strictly between an entry on edge a and an exit on edge b, the
 * shorter way round. Edge j runs from zone[j] to zone[j + 1].
 */
function boundaryBetween(zone: Xy[], entry: Crossing, exit: Crossing): Xy[] {
  const n = zone.length;
  const a = Math.floor(entry.zonePos);
  const b = Math.floor(exit.zonePos);
  const fwdCount = a === b ? (entry.zonePos <= exit.zonePos ? 0 : n) : (((b - a) % n) + n) % n;
  const backCount = a === b ? (entry.zonePos >= exit.zonePos ? 0 : n) : (((a - b) % n) + n) % n;
  const forward: Xy[] = [];
  for (let k = 1; k <= fwdCount; k++) forward.push(zone[(a + k) % n]!);
  const backward: Xy[] = [];
  for (let k = 0; k < backCount; k++) backward.push(zone[(((a - k) % n) + n) % n]!);
  const len = (via: Xy[]) => lengthOf([entry.at, ...via, exit.at]);
  return len(forward) <= len(backward) ? forward : backward;
}

function lengthOf(p: Xy[]): number {
  let s = 0;
  for (let i = 1; i < p.length; i++) s += distXy(p[i - 1]!, p[i]!);
  return s;
}

function dedupe(p: Waypoint[]): Waypoint[] {
  return p.filter((q, k) => k === 0 || distXy(q, p[k - 1]!) > 0.01 || q.checkpointId !== undefined);
}
