import type { Site } from '../../site/load.ts';
import type { Point } from '../../site/schema.ts';
import type { DroneCommands, DroneRequest } from '../commands/drone-commands.ts';
import type { LocalFrame, Xy } from '../geo/local-frame.ts';
import { pointInPolygonXy } from '../geo/polyline.ts';
import { noFlyAreas, planSafePath, type NoFlyArea, type SafePath } from '../planning/no-fly.ts';
import { siteFence, type SiteFence } from '../planning/site-fence.ts';
import { encodeFenceSteps } from '../vehicle/mission-encoder.ts';
import type { PlanItem } from '../vehicle/plan-item.ts';
import { runSteps, type StepsResult } from './drone-steps.ts';
import type { FleetView } from './fleet-view.ts';

export interface GuardedFlightOptions {
  site: Site;
  frame: LocalFrame;
  fleet: FleetView;
  drones: DroneCommands;
  /** The planner's margin round no-fly zones (PlanOptions.nfzMarginM). */
  nfzMarginM: number;
}

export type RouteCheck =
  | { ok: true; legs: Point[]; zonesAvoided: string[]; lengthM: number }
  | { ok: false; code: 'no_fly'; zoneId?: string; message: string };

/**
 * Every path a drone is sent on, checked against the site's no-fly zones (issue 14
 * item 1): goto, dispatch and manual targets alike. A target inside a zone (margin
 * included) is refused, naming the zone; a straight line that crosses one is flown as
 * GUIDED legs round it, each leg a go-to that the ledger settles only on arrival, so the
 * next leg starts from where the drone really is. The site fence (inclusion ring,
 * no-fly exclusions) goes up, verified by read-back, and is enabled before any launch.
 */
export class GuardedFlight {
  readonly areas: NoFlyArea[];
  readonly fence: SiteFence;
  /** The fence as both autopilots take it (mission-encoder.ts), encoded once. */
  private readonly fenceItems: PlanItem[];
  private readonly inclusionXy: Xy[];

  constructor(private readonly o: GuardedFlightOptions) {
    this.areas = noFlyAreas(o.site, o.frame, o.nfzMarginM);
    this.fence = siteFence(o.site, o.frame, o.nfzMarginM);
    this.fenceItems = encodeFenceSteps(this.fence.steps);
    this.inclusionXy = this.fence.inclusion.map((p) => o.frame.toXy(p));
  }

  /** Where the drone starts from: its reported position in the air, else its dock. */
  origin(droneId: string): Point {
    const air = this.o.fleet.airborne(droneId) ? this.o.fleet.position(droneId) : undefined;
    return air ?? this.o.site.drones.find((d) => d.id === droneId)?.dock ?? this.o.frame.origin;
  }

  /** The way from `from` to `to` clear of every zone, or why there is none. Pure arithmetic (<1 ms for the demo). */
  route(from: Point, to: Point): RouteCheck {
    const toXy = this.o.frame.toXy(to);
    // Beyond the fence's inclusion the autopilot's fence action turns the drone home
    // (seen on the simulator: RTL, straight back across a zone): never send it there.
    if (!pointInPolygonXy(toXy, this.inclusionXy)) {
      return { ok: false, code: 'no_fly', message: `target lies outside the site fence (the ${this.o.site.rings[this.o.site.rings.length - 1]!.id} ring grown by ${this.o.nfzMarginM} m)` };
    }
    return toRoute(planSafePath(this.o.frame.toXy(from), toXy, this.areas), this.o.frame);
  }

  /** The target alone: refused when inside a zone (no path needed). */
  targetCheck(to: Point): RouteCheck {
    return this.route(to, to);
  }

  /** Uploads the site fence (read back) and enables it: the first steps of every launch. */
  fenceSteps(): DroneRequest[] {
    return [{ action: 'plan_upload', missionType: 'fence', items: this.fenceItems }, { action: 'fence_enable' }];
  }

  /** Flies the legs one after another in GUIDED; each go-to ends only when the drone is there. */
  flyLegs(droneId: string, legs: Point[], altitudeRelM: number, speedMps: number | undefined, issuer: string, onIssued?: (id: string) => void): Promise<StepsResult> {
    const steps: DroneRequest[] = legs.map((p) => ({ action: 'goto', latDeg: p.latDeg, lonDeg: p.lonDeg, altitudeRelM, ...(speedMps !== undefined ? { speedMps } : {}) }));
    return runSteps(this.o.drones, droneId, steps, issuer, onIssued);
  }
}

function toRoute(p: SafePath, frame: LocalFrame): RouteCheck {
  if (p.ok) return { ok: true, legs: p.legs.map((q) => frame.toPoint(q)), zonesAvoided: p.zonesAvoided, lengthM: p.lengthM };
  return p.reason === 'target_in_zone' ? { ok: false, code: 'no_fly', zoneId: p.zoneId, message: p.message } : { ok: false, code: 'no_fly', message: p.message };
}
