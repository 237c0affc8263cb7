import type { NoFlyZone } from '../../site/schema.ts';
import type { LocalFrame, Xy } from '../geo/local-frame.ts';
import { shapeToXy } from '../geo/shapes.ts';
import { pointInPolygonXy } from '../geo/polyline.ts';

/** No-fly zones grown by the safety margin, ready for path avoidance. */
export function noFlyPolygons(zones: NoFlyZone[], frame: LocalFrame, marginM: number): { id: string; polygon: Xy[] }[] {
  return zones.map((z) => ({ id: z.id, polygon: shapeToXy(z.shape, frame, marginM, 48) }));
}

export function zoneContaining(q: Xy, zones: { id: string; polygon: Xy[] }[]): string | undefined {
  return zones.find((z) => pointInPolygonXy(q, z.polygon))?.id;
}
