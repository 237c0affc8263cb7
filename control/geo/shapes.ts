import { buffer } from '@turf/turf';
import type { Feature, MultiPolygon, Polygon } from 'geojson';
import type { Shape } from '../../site/schema.ts';
import { shapeToPolygon } from '../../site/geometry.ts';
import { circlePolygon, polygonAreaM2 } from './polyline.ts';
import type { LocalFrame, Xy } from './local-frame.ts';

/**
 * A site shape as a local-frame polygon, grown (offsetM > 0) or shrunk (< 0).
 * Circles are exact; polygons are offset with Turf's buffer, and when shrinking splits
 * a polygon the largest piece is kept (a patrol loop is one closed path).
 */
export function shapeToXy(shape: Shape, frame: LocalFrame, offsetM = 0, circleSteps = 72): Xy[] {
  if (shape.type === 'circle') {
    const r = shape.radiusM + offsetM;
    if (r <= 0) return [];
    return circlePolygon(frame.toXy(shape.center), r, circleSteps);
  }
  const poly = shapeToPolygon(shape);
  if (offsetM === 0) return shape.points.map((p) => frame.toXy(p));
  const grown = buffer(poly, offsetM, { units: 'meters', steps: 8 }) as Feature<Polygon | MultiPolygon> | undefined;
  if (!grown) return [];
  const rings =
    grown.geometry.type === 'Polygon' ? [grown.geometry.coordinates[0]!] : grown.geometry.coordinates.map((p) => p[0]!);
  let best: Xy[] = [];
  for (const ring of rings) {
    const xy = ring.slice(0, -1).map(([lon, lat]) => frame.toXy({ latDeg: lat!, lonDeg: lon! }));
    if (polygonAreaM2(xy) > polygonAreaM2(best)) best = xy;
  }
  return best;
}
