import { distanceM } from '../../site/geometry.ts';
import type { CommandHooks } from './command-sender.ts';
import type { Autopilot } from './modes.ts';
import type { CommandResult } from './result.ts';
import type { VehicleWatch } from './vehicle-context.ts';
import { pollOutcome } from './outcome-poll.ts';
import { groundSpeedOf } from './telemetry-state.ts';

/**
 * Outcomes of `land` and `rtl` (issue 14 item 3: "landed and disarmed", not "accepted"):
 * a pure evaluation of one telemetry sample (`evaluateReturn`) and a small watcher that
 * polls the vehicle with it (`awaitReturn`), as goto-outcome.ts does for a go-to.
 */
export type ReturnKind = 'land' | 'rtl';

/** Landed: below this height above home (the field test's "landed" too) and disarmed. */
export const LANDED_ALT_M = 2;
/**
 * RTL at home: landed within this of home. ArduCopter SITL's RTL landed 1-3 m from home
 * (GPS noise, the final descent's drift); 10 m keeps a landing in the next field a failure.
 */
export const HOME_RADIUS_M = 10;
/** A disarm reported while still above LANDED_ALT_M may be telemetry a sample behind. */
const DISARM_ALT_GRACE_MS = 3000;
/** The heartbeat naming RTL/LAND may trail the accept by a second (1 Hz). */
const MODE_GRACE_MS = 3000;

/**
 * How the autopilot flies home and lands, by its defaults; the time budget is computed
 * from these, never a fixed short timeout.
 * - ArduCopter: RTL_ALT 15 m, RTL_SPEED 0 = WPNAV_SPEED 10 m/s, RTL_LOIT_TIME 5 s,
 *   WPNAV_SPEED_UP 2.5 m/s, LAND_SPEED_HIGH 0 = WPNAV_SPEED_DN 1.5 m/s above LAND_ALT_LOW
 *   10 m, LAND_SPEED 0.5 m/s below. ArduCopter SITL here: an RTL from 157 m out at 20 m
 *   took 61 s (this profile: 47 s; acceleration and the landing detector make the rest),
 *   the descent from 20 m 30 s (profile: 27 s).
 * - PX4: RTL_RETURN_ALT 60 m, MPC_XY_CRUISE 5 m/s, MPC_Z_V_AUTO_UP 3 m/s,
 *   MPC_Z_V_AUTO_DN 1.5 m/s, MPC_LAND_SPEED 0.7 m/s below MPC_LAND_ALT2 5 m, RTL_LAND_DELAY 0.
 */
export interface ReturnProfile {
  returnAltM: number;
  cruiseMps: number;
  climbMps: number;
  descentMps: number;
  /** Final approach: below `finalAltM`, at `landMps`. */
  finalAltM: number;
  landMps: number;
  /** Loiter over home before descending. */
  loiterS: number;
}

export const RETURN_PROFILES: Record<Autopilot, ReturnProfile> = {
  ardupilot: { returnAltM: 15, cruiseMps: 10, climbMps: 2.5, descentMps: 1.5, finalAltM: 10, landMps: 0.5, loiterS: 5 },
  px4: { returnAltM: 60, cruiseMps: 5, climbMps: 3, descentMps: 1.5, finalAltM: 5, landMps: 0.7, loiterS: 0 },
};

/** Seconds to descend from `altM` to the ground by the profile (fast part, then the final approach). */
function descentS(altM: number, p: ReturnProfile): number {
  const a = Math.max(0, altM);
  return Math.max(0, a - p.finalAltM) / p.descentMps + Math.min(a, p.finalAltM) / p.landMps;
}

/** Seconds the autopilot should take: LAND descends where it is; RTL climbs to its return altitude, flies home, loiters, lands. */
export function expectedReturnS(kind: ReturnKind, fromHomeM: number, altM: number, p: ReturnProfile): number {
  if (kind === 'land') return descentS(altM, p);
  const cruiseAltM = Math.max(altM, p.returnAltM);
  return (cruiseAltM - Math.max(0, altM)) / p.climbMps + fromHomeM / p.cruiseMps + p.loiterS + descentS(cruiseAltM, p);
}

/**
 * How long a land/RTL may take before it is `timed_out`: twice the profile's time (wind,
 * a slower vehicle, the landing detector's seconds before the disarm) plus `slackMs`.
 */
export function returnBudgetMs(kind: ReturnKind, fromHomeM: number, altM: number, p: ReturnProfile, slackMs: number): number {
  return Math.round(2 * expectedReturnS(kind, fromHomeM, altM, p) * 1000) + slackMs;
}

/** One telemetry sample, as the evaluation needs it. */
export interface ReturnSample {
  nowMs: number;
  latDeg?: number;
  lonDeg?: number;
  relAltM?: number;
  armed?: boolean;
  /** The current mode is one this command flies in (RTL / LAND and their PX4 names). */
  modeOk: boolean;
  groundSpeedMps?: number;
}

export interface ReturnGoal {
  kind: ReturnKind;
  /** Home; RTL is achieved only within HOME_RADIUS_M of it. Undefined: not known (said in the outcome). */
  home?: { latDeg: number; lonDeg: number };
  startMs: number;
  withinMs: number;
  profile: ReturnProfile;
  /** expectedReturnS at the start, for the percentage. */
  totalS: number;
}

/** What the evaluation carries from one sample to the next (never mutated: a new one is returned). */
export interface ReturnTrack {
  modeSeen: boolean;
  disarmedAloftSinceMs?: number;
}

export type ReturnVerdict =
  | { kind: 'achieved'; message: string }
  | { kind: 'failed'; message: string }
  | { kind: 'timeout'; message: string }
  | { kind: 'under_way'; progress?: { progressPct: number; distanceLeftM: number; etaS?: number } };

const m0 = (x: number) => `${Math.round(x)} m`;

/**
 * One step of the outcome: achieved once landed and disarmed (RTL: at home); failed on a
 * mode change away (a pilot or operator taking it, say to GUIDED), on a disarm in the air,
 * or on an RTL that landed away from home; timeout after `withinMs`. Under way, the
 * progress is the distance to home (RTL, then the altitude left once over home) or the
 * altitude left (land), with an ETA at the speeds the vehicle really flies.
 */
export function evaluateReturn(s: ReturnSample, goal: ReturnGoal, track: ReturnTrack): { verdict: ReturnVerdict; track: ReturnTrack } {
  const altM = s.relAltM ?? 0;
  const homeM = goal.home && s.latDeg !== undefined && s.lonDeg !== undefined ? distanceM({ latDeg: s.latDeg, lonDeg: s.lonDeg }, goal.home) : undefined;
  const where = homeM === undefined ? '' : ` ${m0(homeM)} from home`;
  const elapsedMs = s.nowMs - goal.startMs;
  const next: ReturnTrack = { ...track, modeSeen: track.modeSeen || s.modeOk };
  const done = (verdict: ReturnVerdict) => ({ verdict, track: next });
  if (s.armed === false && altM < LANDED_ALT_M) {
    if (goal.kind === 'land') return done({ kind: 'achieved', message: `landed and disarmed${where}` });
    if (homeM === undefined) return done({ kind: 'achieved', message: 'landed and disarmed (home position unknown: distance to home not checked)' });
    if (homeM <= HOME_RADIUS_M) return done({ kind: 'achieved', message: `landed and disarmed at home (${homeM.toFixed(1)} m)` });
    return done({ kind: 'failed', message: `landed and disarmed ${m0(homeM)} from home, not at home` });
  }
  if (s.armed === false) {
    // Disarmed in the air is a fall, not a landing; a sample's lag is not.
    next.disarmedAloftSinceMs = track.disarmedAloftSinceMs ?? s.nowMs;
    if (s.nowMs - next.disarmedAloftSinceMs > DISARM_ALT_GRACE_MS) return done({ kind: 'failed', message: `vehicle disarmed at ${altM.toFixed(1)} m${where}` });
  } else delete next.disarmedAloftSinceMs;
  if (!s.modeOk && (next.modeSeen || elapsedMs > MODE_GRACE_MS)) {
    return done({ kind: 'failed', message: `vehicle left the ${goal.kind === 'rtl' ? 'RTL' : 'landing'} (mode changed) at ${altM.toFixed(1)} m${where}` });
  }
  if (elapsedMs > goal.withinMs) {
    return done({ kind: 'timeout', message: `not landed and disarmed after ${Math.round(elapsedMs / 1000)} s: ${altM.toFixed(1)} m up${where}` });
  }
  return done({ kind: 'under_way', progress: progressOf(goal, homeM, altM, s) });
}

/**
 * Progress: metres to home while an RTL is still away from it, else the altitude left
 * (`distanceLeftM` is the metres still to go either way). The ETA and the percentage come
 * from the profile, with the homeward leg at the ground speed really flown.
 */
function progressOf(goal: ReturnGoal, homeM: number | undefined, altM: number, s: ReturnSample): { progressPct: number; distanceLeftM: number; etaS?: number } {
  const p = goal.profile;
  const gs = s.groundSpeedMps ?? 0;
  const away = goal.kind === 'rtl' && homeM !== undefined && homeM > HOME_RADIUS_M;
  const landS = (away ? p.loiterS : 0) + descentS(altM, p);
  const leftS = (away ? homeM / p.cruiseMps : 0) + landS;
  // Below 2 m/s it is still turning or accelerating (SITL: 0.7 m/s gave 231 s for a 61 s RTL).
  const etaS = (away ? homeM / (gs >= 2 ? gs : p.cruiseMps) : 0) + landS;
  const pct = goal.totalS > 0 ? Math.max(0, Math.min(99, Math.floor((1 - leftS / goal.totalS) * 100))) : 0;
  return { progressPct: pct, distanceLeftM: Math.round(away ? homeM : Math.max(0, altM)), etaS: Math.round(etaS) };
}

export interface ReturnWatch {
  kind: ReturnKind;
  home?: { latDeg: number; lonDeg: number };
  profile: ReturnProfile;
  /** Metres from home and height when accepted (for the percentage). */
  fromHomeM: number;
  altM: number;
  withinMs: number;
  /** False once a later movement command replaced this one (it is then cancelled, not failed). */
  stillCurrent: () => boolean;
  /** The vehicle is in a mode this command flies in. */
  modeOk: () => boolean;
}

const PROGRESS_EVERY_MS = 1000;

/**
 * Watches an accepted land/RTL to its outcome with `evaluateReturn`, reporting progress
 * at most once a second; cancelled when a later command replaced it or on request,
 * link_lost when the link goes.
 */
export function awaitReturn(v: VehicleWatch, o: ReturnWatch, accepted: CommandResult, hooks: CommandHooks = {}): Promise<CommandResult> {
  const goal: ReturnGoal = { kind: o.kind, home: o.home, startMs: v.clock.nowMs(), withinMs: o.withinMs, profile: o.profile, totalS: expectedReturnS(o.kind, o.fromHomeM, o.altM, o.profile) };
  let track: ReturnTrack = { modeSeen: false };
  let lastReportMs = -Infinity;
  const what = o.kind === 'rtl' ? 'return home' : 'landing';
  const endings = { linkLost: `link lost during the ${what}`, cancelled: `cancelled by request during the ${what}` };
  return pollOutcome(v, accepted, hooks, endings, (finish) => {
    const t = v.telemetryState;
    const sample: ReturnSample = {
      nowMs: v.clock.nowMs(),
      ...(t.latE7 !== undefined && t.lonE7 !== undefined ? { latDeg: t.latE7 / 1e7, lonDeg: t.lonE7 / 1e7 } : {}),
      ...(t.relAltMm !== undefined ? { relAltM: t.relAltMm / 1000 } : {}),
      ...(t.armed !== undefined ? { armed: t.armed } : {}),
      modeOk: o.modeOk(),
      groundSpeedMps: groundSpeedOf(t),
    };
    const r = evaluateReturn(sample, goal, track);
    track = r.track;
    const vd = r.verdict;
    if (vd.kind === 'achieved') return finish({ status: 'success', message: vd.message });
    // Before the mode check: the command that replaced this one changes the mode itself.
    if (!o.stillCurrent()) return finish({ status: 'cancelled', message: `replaced by a later command during the ${what}` });
    if (vd.kind === 'failed') return finish({ status: 'failed', message: vd.message });
    if (vd.kind === 'timeout') return finish({ status: 'timeout', message: vd.message });
    if (vd.progress && sample.nowMs - lastReportMs >= PROGRESS_EVERY_MS) {
      lastReportMs = sample.nowMs;
      hooks.onOutcomeProgress?.(vd.progress);
    }
  });
}
