import { distanceNE, type LatLon } from './geo.ts';
import type { Body, Nav, Pos3 } from './kinematics.ts';

/** RTL_LOIT_TIME: Copter hovers over home this long before it lands. */
export const RTL_LOITER_MS = 5000;
/** WPNAV_RADIUS: a point counts as reached within this distance. */
export const WP_RADIUS_M = 2;

export interface RtlHost {
  readonly body: Body;
  readonly home: Pos3;
  readonly rtlAltM: number;
  /** Rally points (RALLY mission type); Copter returns to the nearest of these and home. */
  rallyPoints(): Pos3[];
  setNav(nav: Nav): void;
}

/**
 * Copter's RTL: climb to RTL_ALT (or stay higher), fly home (or to the nearest rally
 * point), loiter RTL_LOIT_TIME, then land. Used by RTL mode and NAV_RETURN_TO_LAUNCH.
 */
export class Rtl {
  stage: 'climb' | 'return' | 'loiter' | 'land' | 'done' = 'climb';
  private target: Pos3;
  private returnAltAmslM: number;
  private loiterUntilMs = 0;

  constructor(private readonly host: RtlHost) {
    const b = host.body;
    this.target = nearest(b, [host.home, ...host.rallyPoints()]);
    this.returnAltAmslM = Math.max(host.home.altAmslM + host.rtlAltM, this.target.altAmslM, b.altAmslM);
    if (b.landed) this.stage = 'done';
  }

  update(nowMs: number): void {
    const b = this.host.body;
    switch (this.stage) {
      case 'climb':
        this.host.setNav({ kind: 'goto', target: { latDeg: b.latDeg, lonDeg: b.lonDeg, altAmslM: this.returnAltAmslM } });
        if (b.altAmslM >= this.returnAltAmslM - 0.5) this.stage = 'return';
        break;
      case 'return':
        this.host.setNav({ kind: 'goto', target: { ...this.target, altAmslM: this.returnAltAmslM } });
        if (distanceNE(b, this.target) < WP_RADIUS_M) {
          this.stage = 'loiter';
          this.loiterUntilMs = nowMs + RTL_LOITER_MS;
        }
        break;
      case 'loiter':
        if (nowMs >= this.loiterUntilMs) {
          this.stage = 'land';
          this.host.setNav({ kind: 'land', at: { latDeg: this.target.latDeg, lonDeg: this.target.lonDeg } });
        }
        break;
      case 'land':
        if (b.landed) this.stage = 'done';
        break;
      case 'done':
        break;
    }
  }
}

function nearest(from: LatLon, points: Pos3[]): Pos3 {
  let best = points[0]!;
  let bestD = Infinity;
  for (const p of points) {
    const d = distanceNE(from, p);
    if (d < bestD) {
      bestD = d;
      best = p;
    }
  }
  return { ...best };
}
