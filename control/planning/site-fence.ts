import type { Site } from '../../site/load.ts';
import type { Point } from '../../site/schema.ts';
import type { LocalFrame } from '../geo/local-frame.ts';
import { pointInPolygonXy } from '../geo/polyline.ts';
import { shapeToXy } from '../geo/shapes.ts';
import { fenceExclusionCircle, fencePolygon, type PlanItem } from '../vehicle/plan-item.ts';

/** Vertices of the inclusion polygon when the outer ring is a circle (fence storage is small on real boards). */
const INCLUSION_CIRCLE_STEPS = 36;

export interface SiteFence {
  items: PlanItem[];
  /** Inclusion polygon vertices (for the map and the checks). */
  inclusion: Point[];
  exclusionCount: number;
  /** Why the fence cannot be flown as it is (a dock outside it); empty when fine. */
  problems: string[];
}

/**
 * The geofence every sortie flies with: one inclusion polygon, the site's outermost
 * (control) ring grown by the margin, and one exclusion per no-fly zone as the site
 * draws it (circles stay circles: one fence item instead of dozens of vertices). The
 * planner keeps its paths `marginM` clear of the zones, so a breach means the drone left
 * its plan, and the autopilot's fence action takes over. Every dock must lie inside the
 * inclusion, or the autopilot refuses to arm.
 */
export function siteFence(site: Site, frame: LocalFrame, marginM: number): SiteFence {
  const outer = site.rings[site.rings.length - 1]!;
  const inclusionXy = shapeToXy(outer.shape, frame, marginM, INCLUSION_CIRCLE_STEPS);
  const inclusion = inclusionXy.map((q) => frame.toPoint(q));
  // Every polygon before the first circle. PX4's Geofence::_updateFence (main, March 2026)
  // sets its "circle" flag at the first circle item and never clears it, so each later
  // polygon vertex is read as a polygon of its own starting there, running on into the
  // next zones' items: with the hospital circle before the heronry polygon, PX4 SITL built
  // an exclusion from the heronry's last vertices to the waterworks' centre and rejected
  // the patrol ("Geofence violation for waypoint 38"). ArduPilot reads any order.
  const items: PlanItem[] = [...fencePolygon(inclusion, true)];
  for (const z of site.noFlyZones) if (z.shape.type === 'polygon') items.push(...fencePolygon(z.shape.points, false));
  for (const z of site.noFlyZones) if (z.shape.type === 'circle') items.push(fenceExclusionCircle(z.shape.center, z.shape.radiusM));
  const problems = site.drones
    .filter((d) => !pointInPolygonXy(frame.toXy(d.dock), inclusionXy))
    .map((d) => `dock of ${d.id} lies outside the ${outer.id} ring fence (grown by ${marginM} m)`);
  return { items, inclusion, exclusionCount: site.noFlyZones.length, problems };
}
