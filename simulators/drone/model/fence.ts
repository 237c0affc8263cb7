import { booleanPointInPolygon, polygon } from '@turf/turf';
import type { Feature, Polygon } from 'geojson';
import { common } from 'node-mavlink';
import { distanceNE, type LatLon } from './geo.ts';
import type { StoredItem } from './mission-store.ts';

const Cmd = common.MavCmd;

interface Zone {
  inclusion: boolean;
  poly?: Feature<Polygon>;
  circle?: { center: LatLon; radiusM: number };
}

/**
 * The fence as Copter stores it (FENCE mission type): inclusion and exclusion polygons
 * and circles. The vehicle breaches when it is outside any inclusion zone or inside any
 * exclusion zone (AC_PolyFence_loader::breached). Polygons use turf's point-in-polygon.
 */
export class Fence {
  private zones: Zone[] = [];

  load(items: readonly StoredItem[]): void {
    const zones: Zone[] = [];
    for (let i = 0; i < items.length; ) {
      const it = items[i]!;
      const inclusionVertex = it.command === Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION;
      if (inclusionVertex || it.command === Cmd.NAV_FENCE_POLYGON_VERTEX_EXCLUSION) {
        const n = Math.max(3, Math.round(it.param1));
        const ring = items.slice(i, i + n).map((v) => [v.y / 1e7, v.x / 1e7]);
        if (ring.length >= 3) {
          ring.push(ring[0]!);
          zones.push({ inclusion: inclusionVertex, poly: polygon([ring]) });
        }
        i += n;
        continue;
      }
      if (it.command === Cmd.NAV_FENCE_CIRCLE_INCLUSION || it.command === Cmd.NAV_FENCE_CIRCLE_EXCLUSION) {
        zones.push({
          inclusion: it.command === Cmd.NAV_FENCE_CIRCLE_INCLUSION,
          circle: { center: { latDeg: it.x / 1e7, lonDeg: it.y / 1e7 }, radiusM: it.param1 },
        });
      }
      i++;
    }
    this.zones = zones;
  }

  get empty(): boolean {
    return this.zones.length === 0;
  }

  /** Name of the first zone breached at `p`, or undefined when inside the fence. */
  breach(p: LatLon): string | undefined {
    for (const z of this.zones) {
      const inside = z.circle
        ? distanceNE(p, z.circle.center) <= z.circle.radiusM
        : booleanPointInPolygon([p.lonDeg, p.latDeg], z.poly!);
      if (z.inclusion && !inside) return z.circle ? 'Circle' : 'Polygon';
      if (!z.inclusion && inside) return z.circle ? 'Exclusion Circle' : 'Exclusion Polygon';
    }
    return undefined;
  }
}
