import { angleDiffDeg, bearingDeg, DEG, moveNE, offsetNE, type LatLon } from './geo.ts';

export interface Pos3 extends LatLon {
  altAmslM: number;
}

/** What the position controller is asked to do (one per flight mode / mission item). */
export type Nav =
  /** Motors off or idling on the ground. */
  | { kind: 'ground' }
  /** Fly to a point and stay there; `takeoff` lets it leave the ground. */
  | { kind: 'goto'; target: Pos3; takeoff?: boolean }
  /** Guided velocity target, held until `untilMs` (Copter's 3 s guided velocity timeout). */
  | { kind: 'velocity'; vn: number; ve: number; vu: number; untilMs: number }
  /** Descend at land speed; horizontally hold `at` (or drift when there is no position). */
  | { kind: 'land'; at: LatLon | undefined }
  /** Orbit `center`; `rateDegS` signed (negative = counter-clockwise), `angleDeg` from north. */
  | { kind: 'circle'; center: LatLon; altAmslM: number; radiusM: number; rateDegS: number; angleDeg: number }
  /** No position control (any mode without GPS): hold altitude, drift with the wind. */
  | { kind: 'drift'; altAmslM: number }
  /**
   * Flown on the pilot's sticks (LOITER, ALT_HOLD, STABILIZE): climb rate `vuMps` from the
   * throttle; horizontally hold `at` (LOITER) or drift with the wind.
   */
  | { kind: 'pilot'; at: LatLon | undefined; vuMps: number };

export interface Limits {
  maxSpeedMps: number;
  /** WPNAV_SPEED, changed by DO_CHANGE_SPEED. */
  wpSpeedMps: number;
  climbMps: number;
  descentMps: number;
  /** LAND_SPEED below 10 m; WPNAV_SPEED_DN above. */
  landSpeedMps: number;
  accelMps2: number;
  accelZMps2: number;
  /** Rate at which the velocity vector may turn (multirotor bank limit in effect). */
  turnRateDegS: number;
  yawRateDegS: number;
}

export const DEFAULT_LIMITS: Omit<Limits, 'maxSpeedMps' | 'wpSpeedMps'> = {
  climbMps: 2.5, // WPNAV_SPEED_UP 250 cm/s
  descentMps: 1.5, // WPNAV_SPEED_DN 150 cm/s
  landSpeedMps: 0.5, // LAND_SPEED 50 cm/s
  accelMps2: 2.5, // WPNAV_ACCEL 250 cm/s/s
  accelZMps2: 1.0, // WPNAV_ACCEL_Z 100 cm/s/s
  turnRateDegS: 90,
  yawRateDegS: 90,
};

/** The vehicle's true kinematic state. */
export interface Body extends Pos3 {
  vn: number;
  ve: number;
  vu: number;
  headingDeg: number;
  /** Body-frame accelerations of the last step, for ATTITUDE roll/pitch. */
  aFwd: number;
  aRight: number;
  yawRateDegS: number;
  landed: boolean;
  groundAmslM: number;
}

/** Ground velocity the wind pushes on a vehicle without position control; gust residual otherwise. */
export interface WindNow {
  vn: number;
  ve: number;
  gustN: number;
  gustE: number;
}

const POS_GAIN = 1.0; // 1/s: metres of error → m/s of velocity demand near the target
const ALT_GAIN = 1.0;

/** Advances `b` by `dtS` under `nav`, within `lim`. Pure apart from mutating `b`. */
export function stepBody(b: Body, nav: Nav, lim: Limits, wind: WindNow, dtS: number, nowMs: number): void {
  let dn = 0;
  let de = 0;
  let du = 0;
  let drift = false;
  const speedCap = Math.min(lim.wpSpeedMps, lim.maxSpeedMps);
  switch (nav.kind) {
    case 'ground':
      break;
    case 'goto': {
      if (b.landed && !nav.takeoff) break;
      const o = offsetNE(b, nav.target);
      const d = Math.hypot(o.n, o.e);
      // Copter climbs vertically to ~1 m before it navigates horizontally.
      if (d > 0.01 && !(nav.takeoff && b.altAmslM - b.groundAmslM < 1)) {
        const v = Math.min(speedCap, Math.sqrt(2 * lim.accelMps2 * d), POS_GAIN * d + 0.2);
        dn = (o.n / d) * v;
        de = (o.e / d) * v;
      }
      du = vertical(nav.target.altAmslM - b.altAmslM, lim);
      break;
    }
    case 'velocity': {
      if (nowMs < nav.untilMs) {
        const h = Math.hypot(nav.vn, nav.ve);
        const k = h > lim.maxSpeedMps ? lim.maxSpeedMps / h : 1;
        dn = nav.vn * k;
        de = nav.ve * k;
        du = Math.max(-lim.descentMps, Math.min(lim.climbMps, nav.vu));
      }
      break;
    }
    case 'land': {
      const aboveM = b.altAmslM - b.groundAmslM;
      du = -(aboveM > 10 ? lim.descentMps : lim.landSpeedMps);
      if (nav.at) {
        const o = offsetNE(b, nav.at);
        dn = Math.max(-2, Math.min(2, POS_GAIN * o.n));
        de = Math.max(-2, Math.min(2, POS_GAIN * o.e));
      } else drift = true;
      break;
    }
    case 'circle': {
      const r = Math.max(1, nav.radiusM);
      const rate = Math.sign(nav.rateDegS) * Math.min(Math.abs(nav.rateDegS), (speedCap / r) / DEG);
      nav.angleDeg += rate * dtS;
      const a = nav.angleDeg * DEG;
      const target = moveNE({ latDeg: nav.center.latDeg, lonDeg: nav.center.lonDeg }, r * Math.cos(a), r * Math.sin(a));
      const o = offsetNE(b, target);
      const tangential = rate * DEG * r;
      dn = -Math.sin(a) * tangential + POS_GAIN * o.n;
      de = Math.cos(a) * tangential + POS_GAIN * o.e;
      du = vertical(nav.altAmslM - b.altAmslM, lim);
      break;
    }
    case 'drift':
      drift = true;
      du = vertical(nav.altAmslM - b.altAmslM, lim);
      break;
    case 'pilot':
      du = nav.vuMps;
      if (nav.at) {
        const o = offsetNE(b, nav.at);
        dn = Math.max(-speedCap, Math.min(speedCap, POS_GAIN * o.n));
        de = Math.max(-speedCap, Math.min(speedCap, POS_GAIN * o.e));
      } else drift = true;
      break;
  }
  if (b.landed && du <= 0) {
    b.vn = b.ve = b.vu = b.aFwd = b.aRight = b.yawRateDegS = 0;
    return;
  }
  if (drift) {
    dn = wind.vn;
    de = wind.ve;
  }
  const oldN = b.vn;
  const oldE = b.ve;
  limitHorizontal(b, dn, de, lim, dtS);
  b.vu += clamp(du - b.vu, lim.accelZMps2 * dtS);
  // Position control is imperfect in gusts: a share of the gust leaks into the track.
  moveNE(b, (b.vn + wind.gustN * 0.15) * dtS, (b.ve + wind.gustE * 0.15) * dtS);
  b.altAmslM += b.vu * dtS;
  if (b.altAmslM <= b.groundAmslM) {
    b.altAmslM = b.groundAmslM;
    if (b.vu <= 0) {
      b.landed = true;
      b.vn = b.ve = b.vu = 0;
    }
  } else if (b.altAmslM - b.groundAmslM > 0.2) b.landed = false;
  const h = b.headingDeg * DEG;
  const an = (b.vn - oldN) / dtS;
  const ae = (b.ve - oldE) / dtS;
  b.aFwd = an * Math.cos(h) + ae * Math.sin(h);
  b.aRight = -an * Math.sin(h) + ae * Math.cos(h);
  const gs = Math.hypot(b.vn, b.ve);
  if (gs > 1) {
    const turn = clamp(angleDiffDeg(b.headingDeg, bearingDeg(b.vn, b.ve)), lim.yawRateDegS * dtS);
    b.headingDeg = (b.headingDeg + turn + 360) % 360;
    b.yawRateDegS = turn / dtS;
  } else b.yawRateDegS = 0;
}

function vertical(errM: number, lim: Limits): number {
  const v = Math.sign(errM) * Math.min(Math.sqrt(2 * lim.accelZMps2 * Math.abs(errM)), ALT_GAIN * Math.abs(errM));
  return Math.max(-lim.descentMps, Math.min(lim.climbMps, v));
}

/** Acceleration limit on speed changes, turn-rate limit on the velocity direction. */
function limitHorizontal(b: Body, dn: number, de: number, lim: Limits, dtS: number): void {
  const cur = Math.hypot(b.vn, b.ve);
  const want = Math.hypot(dn, de);
  const maxDv = lim.accelMps2 * dtS;
  if (cur > 1 && want > 0.5) {
    const curDir = Math.atan2(b.ve, b.vn);
    const diff = angleDiffDeg(curDir / DEG, Math.atan2(de, dn) / DEG);
    const dir = curDir + clamp(diff, lim.turnRateDegS * dtS) * DEG;
    // A sharp reversal brakes first instead of swinging round at speed.
    const wantMag = Math.abs(diff) > 90 ? 0 : want * Math.cos(Math.min(Math.abs(diff), 89) * DEG * 0.5);
    const mag = Math.max(0, cur + clamp(wantMag - cur, maxDv));
    b.vn = mag * Math.cos(dir);
    b.ve = mag * Math.sin(dir);
    return;
  }
  const xn = dn - b.vn;
  const xe = de - b.ve;
  const x = Math.hypot(xn, xe);
  const k = x > maxDv ? maxDv / x : 1;
  b.vn += xn * k;
  b.ve += xe * k;
}

function clamp(v: number, lim: number): number {
  return v > lim ? lim : v < -lim ? -lim : v;
}
