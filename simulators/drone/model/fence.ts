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
 * How the autopilot turns the stored fence list into zones:
 * - 'ardupilot': AC_PolyFence_loader, any order of polygons and circles.
 * - 'px4': Geofence::_updateFence (PX4 main, March 2026). Its circle flag is set at the
 *   first circle item and never cleared, so every later polygon vertex starts a polygon
 *   of its own with the vertex count stored in it, running on into the items after it
 *   (the next zones' vertices, a circle's centre); one reaching past the end of the list
 *   never tests inside (the dataman read fails at once). Zones that do not contain home
 *   (inclusions) or do (exclusions) are dropped: "Geofence invalid, doesn't contain Home
 *   position".
 */
export type FenceReading = 'ardupilot' | 'px4';

/**
 * The fence as the autopilot stores it (FENCE mission type): inclusion and exclusion
 * polygons and circles. The vehicle breaches when it is outside any inclusion zone or
 * inside any exclusion zone (AC_PolyFence_loader::breached, Geofence::isInsidePolygonOrCircle).
 * Polygons use turf's point-in-polygon.
 */
export class Fence {
  private zones: Zone[] = [];

  load(items: readonly StoredItem[], reading: FenceReading = 'ardupilot', home?: LatLon): void {
    this.zones = reading === 'px4' ? px4Zones(items, home) : ardupilotZones(items);
  }

  get empty(): boolean {
    return this.zones.length === 0;
  }

  /** Name of the first zone breached at `p`, or undefined when inside the fence. */
  breach(p: LatLon): string | undefined {
    for (const z of this.zones) {
      const inside = insideZone(z, p);
      if (z.inclusion && !inside) return z.circle ? 'Circle' : 'Polygon';
      if (!z.inclusion && inside) return z.circle ? 'Exclusion Circle' : 'Exclusion Polygon';
    }
    return undefined;
  }
}

function insideZone(z: Zone, p: LatLon): boolean {
  return z.circle ? distanceNE(p, z.circle.center) <= z.circle.radiusM : booleanPointInPolygon([p.lonDeg, p.latDeg], z.poly!);
}

const isVertex = (c: number) => c === Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION || c === Cmd.NAV_FENCE_POLYGON_VERTEX_EXCLUSION;
const isCircle = (c: number) => c === Cmd.NAV_FENCE_CIRCLE_INCLUSION || c === Cmd.NAV_FENCE_CIRCLE_EXCLUSION;

function polygonOf(items: readonly StoredItem[], inclusion: boolean): Zone | undefined {
  const ring = items.map((v) => [v.y / 1e7, v.x / 1e7]);
  if (ring.length < 3) return undefined;
  ring.push(ring[0]!);
  return { inclusion, poly: polygon([ring]) };
}

function circleOf(it: StoredItem): Zone {
  return { inclusion: it.command === Cmd.NAV_FENCE_CIRCLE_INCLUSION, circle: { center: { latDeg: it.x / 1e7, lonDeg: it.y / 1e7 }, radiusM: it.param1 } };
}

function ardupilotZones(items: readonly StoredItem[]): Zone[] {
  const zones: Zone[] = [];
  for (let i = 0; i < items.length; ) {
    const it = items[i]!;
    if (isVertex(it.command)) {
      const n = Math.max(3, Math.round(it.param1));
      const z = polygonOf(items.slice(i, i + n), it.command === Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION);
      if (z) zones.push(z);
      i += n;
      continue;
    }
    if (isCircle(it.command)) zones.push(circleOf(it));
    i++;
  }
  return zones;
}

function px4Zones(items: readonly StoredItem[], home: LatLon | undefined): Zone[] {
  const zones: Zone[] = [];
  let circleFlag = false; // never reset: PX4's own behaviour, see FenceReading
  for (let i = 0; i < items.length; ) {
    const it = items[i]!;
    if (!isVertex(it.command) && !isCircle(it.command)) {
      i++;
      continue;
    }
    if (isCircle(it.command)) circleFlag = true;
    const n = Math.round(it.param1);
    if (!circleFlag && n === 0) {
      i++;
      continue;
    }
    let zone: Zone | undefined;
    if (isCircle(it.command)) zone = circleOf(it);
    // A vertex read under the circle flag: a polygon of n items from here, or nothing
    // when they run past the end of the list.
    else if (i + n <= items.length) zone = polygonOf(items.slice(i, i + n), it.command === Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION);
    else zone = { inclusion: it.command === Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION, poly: undefined };
    i += circleFlag ? 1 : n;
    if (!zone) continue;
    if (!zone.poly && !zone.circle) {
      // Never inside: harmless as an exclusion, and an inclusion that never contains home is dropped.
      continue;
    }
    if (home && insideZone(zone, home) !== zone.inclusion) continue;
    zones.push(zone);
  }
  return zones;
}
