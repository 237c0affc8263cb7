import { booleanPointInPolygon, circle, distance, point, polygon } from '@turf/turf';
import type { Feature, Polygon } from 'geojson';
import type { Point, Shape } from './schema.ts';
import { polygonWithin } from './polygon-within.ts';

/** Circles become 64-gons: under 0.13% radius error, plenty for ring policy. */
const CIRCLE_STEPS = 64;

export function shapeToPolygon(shape: Shape): Feature<Polygon> {
  if (shape.type === 'circle') {
    return circle([shape.center.lonDeg, shape.center.latDeg], shape.radiusM / 1000, { steps: CIRCLE_STEPS, units: 'kilometers' });
  }
  const ring = shape.points.map((p) => [p.lonDeg, p.latDeg]);
  ring.push(ring[0]!);
  return polygon([ring]);
}

export function pointInShape(p: Point, shape: Shape): boolean {
  if (shape.type === 'circle') return distanceM(p, shape.center) <= shape.radiusM;
  return booleanPointInPolygon([p.lonDeg, p.latDeg], shapeToPolygon(shape));
}

/** Whether `inner` lies within `outer` (boundary contact allowed), as Turf's booleanWithin decides it. */
export function shapeWithin(inner: Shape, outer: Shape): boolean {
  if (inner.type === 'circle' && outer.type === 'circle') {
    // Exact for circles, and what the 64-gon approximation would only approach.
    return distanceM(inner.center, outer.center) + inner.radiusM <= outer.radiusM;
  }
  const open = (s: Shape) => shapeToPolygon(s).geometry.coordinates[0]!.slice(0, -1).map((c) => [c[0]!, c[1]!] as const);
  return polygonWithin(open(inner), open(outer));
}

/** Great-circle distance in metres. */
export function distanceM(a: Point, b: Point): number {
  return distance(point([a.lonDeg, a.latDeg]), point([b.lonDeg, b.latDeg]), { units: 'meters' });
}
