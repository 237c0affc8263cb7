import type { Xy } from '../geo/local-frame.ts';

/**
 * How a multicopter autopilot flies a waypoint path, in the terms ArduCopter's AC_WPNav
 * uses: a commanded speed (WPNAV_SPEED, or DO_CHANGE_SPEED), the acceleration and jerk
 * limits of its S-curves (WPNAV_ACCEL, WPNAV_JERK), and how far from a waypoint it may
 * cut a corner (WPNAV_RADIUS).
 */
export interface FlightLimits {
  /** The speed the mission commands on the legs. */
  speedMps: number;
  /** Horizontal acceleration limit (WPNAV_ACCEL; ArduCopter default 250 cm/s/s). */
  accelMps2: number;
  /** Jerk limit (WPNAV_JERK; ArduCopter default 1 m/s/s/s). */
  jerkMps3: number;
  /** The corner may be cut no further than this from the waypoint (WPNAV_RADIUS; default 200 cm). */
  waypointRadiusM: number;
  /**
   * How long the jerk itself takes to build up (snap limit). ArduCopter derives it from
   * the attitude controller's input time constant: tj = π·J / (2·snap) with
   * snap = J·π / (2·ATC_INPUT_TC) / 2, i.e. 2·ATC_INPUT_TC = 0.3 s by default.
   */
  snapS: number;
}

/** ArduCopter's defaults (AC_WPNav.cpp): what an unconfigured copter flies. */
export const ARDUCOPTER_LIMITS: Omit<FlightLimits, 'speedMps'> = { accelMps2: 2.5, jerkMps3: 1, waypointRadiusM: 2, snapS: 0.3 };

/**
 * A jerk-limited change of speed from `fromMps` to `toMps` (an S-curve: the acceleration
 * ramps up at the jerk limit, holds at the acceleration limit if there is time, and
 * ramps down). The acceleration profile is symmetric, so the mean speed over the change
 * is the mean of the two speeds. Building the jerk up at the snap limit smooths the
 * acceleration profile, which lengthens the change by about `snapS` at the same mean.
 */
export function speedChange(fromMps: number, toMps: number, l: Pick<FlightLimits, 'accelMps2' | 'jerkMps3' | 'snapS'>): { timeS: number; distM: number } {
  const dv = Math.abs(toMps - fromMps);
  if (dv === 0) return { timeS: 0, distM: 0 };
  const a = l.accelMps2;
  const j = l.jerkMps3;
  const timeS = (dv >= (a * a) / j ? dv / a + a / j : 2 * Math.sqrt(dv / j)) + l.snapS;
  return { timeS, distM: ((fromMps + toMps) / 2) * timeS };
}

/**
 * Distance covered in the first `s` seconds of a jerk-limited acceleration from rest to
 * `peakMps` (or, by symmetry, in the last `s` seconds of the stop from it), cruising at
 * the peak once the change is over.
 */
export function distanceFromRestM(time: number, peakMps: number, l: Pick<FlightLimits, 'accelMps2' | 'jerkMps3' | 'snapS'>): number {
  // The snap smoothing delays the profile by about half its length.
  const s = time - l.snapS / 2;
  if (s <= 0 || peakMps <= 0) return 0;
  const j = l.jerkMps3;
  const full = peakMps >= (l.accelMps2 * l.accelMps2) / j;
  const tj = full ? l.accelMps2 / j : Math.sqrt(peakMps / j);
  const a = j * tj;
  const ta = full ? peakMps / a - tj : 0;
  if (s <= tj) return (j * s ** 3) / 6;
  const v1 = (j * tj * tj) / 2;
  const x1 = (j * tj ** 3) / 6;
  if (s <= tj + ta) return x1 + v1 * (s - tj) + (a * (s - tj) ** 2) / 2;
  const v2 = v1 + a * ta;
  const x2 = x1 + v1 * ta + (a * ta * ta) / 2;
  const u = Math.min(s - tj - ta, tj);
  const x3 = x2 + v2 * u + (a * u * u) / 2 - (j * u ** 3) / 6;
  return x3 + peakMps * Math.max(0, s - 2 * tj - ta);
}

/** One straight leg flown from rest to rest: its peak speed, duration and ramp time. */
export function restToRestLeg(lengthM: number, l: FlightLimits): { peakMps: number; timeS: number; rampS: number } {
  if (lengthM <= 0) return { peakMps: 0, timeS: 0, rampS: 0 };
  const ramp = (p: number) => speedChange(0, p, l);
  const full = ramp(l.speedMps);
  if (2 * full.distM <= lengthM) return { peakMps: l.speedMps, timeS: 2 * full.timeS + (lengthM - 2 * full.distM) / l.speedMps, rampS: full.timeS };
  const peak = solveIncreasing((p) => 2 * ramp(p).distM, lengthM, l.speedMps);
  return { peakMps: peak, timeS: 2 * ramp(peak).timeS, rampS: ramp(peak).timeS };
}

/**
 * How long two legs overlap at the waypoint between them, turning by `turnRad`.
 * ArduCopter (SCurve::advance_target_along_track) starts the next leg while this one is
 * still braking, as soon as the middle of the blend lies within WPNAV_RADIUS of the
 * waypoint, no earlier than this leg's braking starts and no later than the next leg's
 * ramp ends. At the middle of a blend of length t this leg still has its last t/2 of
 * braking to go and the next has flown its first t/2: the two offsets add as vectors.
 */
export function cornerOverlapS(
  turnRad: number,
  into: { peakMps: number; rampS: number },
  outOf: { peakMps: number; rampS: number },
  l: FlightLimits,
): number {
  const maxS = Math.min(into.rampS, outOf.rampS);
  const c = Math.cos(Math.min(Math.PI, Math.abs(turnRad)));
  const offsetM = (t: number) => {
    const back = distanceFromRestM(t / 2, into.peakMps, l);
    const ahead = distanceFromRestM(t / 2, outOf.peakMps, l);
    // |-dir1·back + dir2·ahead| with dir1·dir2 = cos(turn)
    return Math.sqrt(Math.max(0, back * back + ahead * ahead - 2 * back * ahead * c));
  };
  if (offsetM(maxS) < l.waypointRadiusM) return maxS;
  return solveIncreasing(offsetM, l.waypointRadiusM, maxS);
}

export interface PathTiming {
  timeS: number;
  lengthM: number;
  /** Length / time: what the vehicle really averages, against `speedMps` commanded. */
  meanSpeedMps: number;
}

/**
 * How long a multicopter takes to fly a path (a closed loop returns to its start) with
 * the given limits, flown the way ArduCopter flies waypoints: every leg an S-curve from
 * rest to rest (so a short leg never reaches the commanded speed), shortened by the
 * blend into the next leg, which is long on a gentle turn and short on a sharp one.
 * An open path starts and ends at rest. Pure arithmetic, linear in the vertex count.
 */
export function pathTiming(path: Xy[], closed: boolean, l: FlightLimits): PathTiming {
  const n = path.length;
  const legCount = closed ? n : n - 1;
  if (n < 2) return { timeS: 0, lengthM: 0, meanSpeedMps: 0 };
  const dir: number[] = [];
  const legs: ReturnType<typeof restToRestLeg>[] = [];
  let lengthM = 0;
  let timeS = 0;
  for (let i = 0; i < legCount; i++) {
    const a = path[i]!;
    const b = path[(i + 1) % n]!;
    const len = Math.hypot(b.xM - a.xM, b.yM - a.yM);
    dir.push(Math.atan2(b.yM - a.yM, b.xM - a.xM));
    const leg = restToRestLeg(len, l);
    legs.push(leg);
    lengthM += len;
    timeS += leg.timeS;
  }
  const corners = closed ? legCount : legCount - 1;
  for (let i = 0; i < corners; i++) {
    const k = (i + 1) % legCount;
    if (legs[i]!.timeS === 0 || legs[k]!.timeS === 0) continue;
    timeS -= cornerOverlapS(dir[k]! - dir[i]!, legs[i]!, legs[k]!, l);
  }
  return { timeS, lengthM, meanSpeedMps: timeS > 0 ? lengthM / timeS : 0 };
}

/** x in [0, maxX] with f(x) = target for increasing f (bisection; f(0) <= target assumed). */
function solveIncreasing(f: (x: number) => number, target: number, maxX: number): number {
  if (maxX <= 0) return 0;
  if (f(maxX) <= target) return maxX;
  let lo = 0;
  let hi = maxX;
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    if (f(mid) < target) lo = mid;
    else hi = mid;
  }
  return lo;
}
