import type { Site } from '../../site/load.ts';
import type { LocalFrame, Xy } from '../geo/local-frame.ts';
import { distXy } from '../geo/local-frame.ts';
import { pathLengthM, pointInPolygonXy, segmentIntersection } from '../geo/polyline.ts';
import { shapeToXy } from '../geo/shapes.ts';
import { avoidZones } from './avoid-zones.ts';

/**
 * Detour legs keep this much outside the zone's margin polygon, and turn this much
 * farther out again: a copter that starts its next leg on arriving within a few metres
 * of a corner cuts that corner towards the zone (seen on the simulator at 18 m/s: ~20 m
 * inside the chord), and that must not eat into the margin.
 */
export const DETOUR_CLEARANCE_M = 30;

/** A no-fly zone as flight checks see it: the site's shape grown by the site's margin. */
export interface NoFlyArea {
  id: string;
  name: string;
  /** The zone grown by the margin: no target and no leg may enter it. */
  polygon: Xy[];
  /** Grown by the margin and DETOUR_CLEARANCE_M: no detour leg may enter it. */
  keepOut: Xy[];
  /** Grown by the margin and twice DETOUR_CLEARANCE_M: where detour legs turn. */
  route: Xy[];
}

/** The site's no-fly zones grown by `marginM` (the planner's nfzMarginM), computed once per site. */
export function noFlyAreas(site: Pick<Site, 'noFlyZones'>, frame: LocalFrame, marginM: number): NoFlyArea[] {
  return site.noFlyZones.map((z) => ({
    id: z.id,
    name: z.name,
    polygon: shapeToXy(z.shape, frame, marginM, 48),
    keepOut: shapeToXy(z.shape, frame, marginM + DETOUR_CLEARANCE_M, 48),
    route: shapeToXy(z.shape, frame, marginM + 2 * DETOUR_CLEARANCE_M, 48),
  }));
}

export type SafePath =
  /** `legs`: the points to fly through after `from`, the last one the target. */
  | { ok: true; legs: Xy[]; zonesAvoided: string[]; lengthM: number }
  | { ok: false; reason: 'target_in_zone'; zoneId: string; zoneName: string; message: string }
  | { ok: false; reason: 'no_route'; message: string };

/** The zone (id and name) containing `q`, if any. */
export function zoneAt(q: Xy, areas: readonly NoFlyArea[]): NoFlyArea | undefined {
  return areas.find((a) => a.polygon.length >= 3 && pointInPolygonXy(q, a.polygon));
}

/**
 * The way from `from` to `to` that enters no no-fly zone (margin included). Pure.
 * A target inside a zone is refused, naming the zone. A straight line that crosses a
 * zone becomes a detour round it (the patrol planner's avoid-zones), cut down to the
 * fewest legs that stay clear, so a drone flies a handful of confirmed legs rather than
 * one per polygon vertex. A zone the drone is already inside is not routed round: the
 * way out is the way it must go (its fence has already acted if it breached).
 */
export function planSafePath(from: Xy, to: Xy, areas: readonly NoFlyArea[]): SafePath {
  const hit = zoneAt(to, areas);
  if (hit) return { ok: false, reason: 'target_in_zone', zoneId: hit.id, zoneName: hit.name, message: `target lies inside no-fly zone ${hit.id} (${hit.name}), margin included` };
  const relevant = areas.filter((a) => a.polygon.length >= 3 && !pointInPolygonXy(from, a.polygon));
  if (clear(from, to, relevant)) return { ok: true, legs: [to], zonesAvoided: [], lengthM: distXy(from, to) };
  const crossed = relevant.filter((a) => !clear(from, to, [a]));
  const routed = avoidZones(
    [from, to],
    crossed.map((a) => a.route),
    false,
  );
  if (routed.blocked) return { ok: false, reason: 'no_route', message: `no way round ${crossed.map((a) => a.id).join(', ')}: the start or the target is too close to it` };
  // Detour legs keep the wider berth; the first and last points may lie inside it (a
  // target just outside the margin), so their own legs are held to the margin alone.
  const keepOut = relevant.map((a) => ({ polygon: a.keepOut }));
  const path = shortcut(routed.path.map((p) => ({ xM: p.xM, yM: p.yM })), relevant, keepOut);
  for (let i = 1; i < path.length; i++) {
    if (!clear(path[i - 1]!, path[i]!, relevant)) {
      return { ok: false, reason: 'no_route', message: `no clear way round ${crossed.map((a) => a.id).join(', ')} (zones too close together)` };
    }
  }
  return { ok: true, legs: path.slice(1), zonesAvoided: crossed.map((a) => a.id), lengthM: pathLengthM(path, false) };
}

/** Whether the segment a→b stays outside every polygon (touching nothing). */
export function clear(a: Xy, b: Xy, areas: readonly Pick<NoFlyArea, 'polygon'>[]): boolean {
  for (const { polygon } of areas) {
    if (polygon.length < 3) continue;
    if (pointInPolygonXy(a, polygon) || pointInPolygonXy(b, polygon)) return false;
    if (pointInPolygonXy({ xM: (a.xM + b.xM) / 2, yM: (a.yM + b.yM) / 2 }, polygon)) return false;
    for (let j = 0; j < polygon.length; j++) {
      if (segmentIntersection(a, b, polygon[j]!, polygon[(j + 1) % polygon.length]!)) return false;
    }
  }
  return true;
}

/**
 * Greedy string-pulling: from each kept vertex, jump to the farthest later vertex still
 * in clear view of the wider keep-out (or, for a leg from the start or to the end, of
 * the margin: those points may sit inside the keep-out).
 */
function shortcut(path: Xy[], areas: readonly NoFlyArea[], keepOut: readonly Pick<NoFlyArea, 'polygon'>[]): Xy[] {
  const out: Xy[] = [path[0]!];
  const last = path.length - 1;
  const ok = (i: number, j: number) => clear(path[i]!, path[j]!, i === 0 || j === last ? areas : keepOut);
  let i = 0;
  while (i < last) {
    let j = last;
    while (j > i + 1 && !ok(i, j)) j--;
    out.push(path[j]!);
    i = j;
  }
  return out;
}
