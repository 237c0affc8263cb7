import type { Site } from '../../site/load.ts';
import type { Point } from '../../site/schema.ts';
import type { LocalFrame } from '../geo/local-frame.ts';
import { pointInPolygonXy } from '../geo/polyline.ts';
import { shapeToXy } from '../geo/shapes.ts';
import type { FenceStep } from '../vehicle/mission-steps.ts';

/** Vertices of the inclusion polygon when the outer ring is a circle (fence storage is small on real boards). */
const INCLUSION_CIRCLE_STEPS = 36;

export interface SiteFence {
  /** The zones, in the site's words (control/vehicle/mission-encoder.ts makes fence items of them). */
  steps: FenceStep[];
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
  // In the site's order: the order an autopilot needs (PX4: every polygon before the first
  // circle) is the encoder's rule, not the planner's.
  const steps: FenceStep[] = [
    { kind: 'fence_inclusion', points: inclusion },
    ...site.noFlyZones.map((z): FenceStep =>
      z.shape.type === 'circle' ? { kind: 'fence_exclusion_circle', center: z.shape.center, radiusM: z.shape.radiusM } : { kind: 'fence_exclusion', points: z.shape.points },
    ),
  ];
  const problems = site.drones
    .filter((d) => !pointInPolygonXy(frame.toXy(d.dock), inclusionXy))
    .map((d) => `dock of ${d.id} lies outside the ${outer.id} ring fence (grown by ${marginM} m)`);
  return { steps, inclusion, exclusionCount: site.noFlyZones.length, problems };
}
