import { distanceM } from '../../site/geometry.ts';
import type { CommandHooks } from './command-sender.ts';
import type { CommandResult } from './result.ts';
import type { GotoTarget } from './action.ts';
import { takeoffToleranceM } from './takeoff-outcome.ts';
import type { VehicleWatch } from './vehicle-context.ts';
import { pollOutcome } from './outcome-poll.ts';
import { groundSpeedOf } from './telemetry-state.ts';

/**
 * Arrived: within this of the target horizontally. ArduCopter in GUIDED and PX4 after
 * DO_REPOSITION stop on the point (within a metre or two in SITL); 8 m leaves room for
 * GPS noise and for telemetry sampled while the drone settles.
 */
export const ARRIVAL_RADIUS_M = 8;

const MODE_GRACE_MS = 3000;
/** Progress (distance left, ETA) is reported at most this often. */
const PROGRESS_EVERY_MS = 1000;

/** How long a go-to may take: the straight leg at the commanded (or a slow default) speed, with ramps and slack. */
export function arrivalBudgetMs(distM: number, speedMps: number | undefined, minMs: number): number {
  const s = Math.max(1, speedMps ?? 5);
  return Math.max(minMs, Math.round(((2.5 * distM) / s) * 1000) + 30_000);
}

export interface ArrivalOptions {
  /** Give up after this (wall ms). */
  withinMs: number;
  /** False once a later movement command replaced this one (it is then cancelled, not failed). */
  stillCurrent: () => boolean;
  /** The modes this go-to flies in (GUIDED / AUTO.LOITER); leaving them ends it as failed. */
  flyingModeOk: () => boolean;
}

/**
 * The outcome of an accepted go-to (issue 14 item 3: "a responder shows done while still
 * flying there"): success once the vehicle's own telemetry puts it within
 * ARRIVAL_RADIUS_M of the target and within the take-off tolerance of its altitude;
 * failed when it disarms or leaves the go-to's mode (a failsafe's RTL/LAND, a pilot);
 * cancelled when a later command replaced it; timeout after `withinMs`. On the way it
 * reports the distance left and an ETA from the ground speed it really flies.
 */
export function awaitArrival(v: VehicleWatch, to: GotoTarget, o: ArrivalOptions, accepted: CommandResult, hooks: CommandHooks = {}): Promise<CommandResult> {
  const startMs = v.clock.nowMs();
  let lastReportMs = -Infinity;
  let startDistM: number | undefined;
  let modeSeen = false;
  const altTolM = takeoffToleranceM(to.altRelM);
  const endings = { linkLost: 'link lost on the way to the target', cancelled: 'cancelled by request on the way to the target' };
  return pollOutcome(v, accepted, hooks, endings, (finish) => {
    const s = v.telemetryState;
    if (s.latE7 === undefined || s.lonE7 === undefined) return;
    const here = { latDeg: s.latE7 / 1e7, lonDeg: s.lonE7 / 1e7 };
    const leftM = distanceM(here, to);
    const altM = (s.relAltMm ?? 0) / 1000;
    startDistM ??= leftM;
    if (leftM <= ARRIVAL_RADIUS_M && Math.abs(altM - to.altRelM) <= altTolM) {
      // What the accept said (flown at the default speed, say) stays on the record.
      const said = accepted.message ? `${accepted.message}; ` : '';
      return finish({ status: 'success', message: `${said}arrived: ${leftM.toFixed(1)} m from the target at ${altM.toFixed(1)} m` });
    }
    if (!o.stillCurrent()) return finish({ status: 'cancelled', message: `replaced by a later command ${Math.round(leftM)} m from the target` });
    if (s.armed === false) return finish({ status: 'failed', message: `vehicle disarmed ${Math.round(leftM)} m from the target` });
    const nowMs = v.clock.nowMs();
    const elapsed = nowMs - startMs;
    // The heartbeat naming the new mode may trail the accept by a second: judge the
    // mode once it has been seen, or after MODE_GRACE_MS.
    const modeOk = o.flyingModeOk();
    modeSeen ||= modeOk;
    if (!modeOk && (modeSeen || elapsed > MODE_GRACE_MS)) return finish({ status: 'failed', message: `vehicle left the go-to (mode changed) ${Math.round(leftM)} m from the target` });
    if (elapsed > o.withinMs) return finish({ status: 'timeout', message: `still ${Math.round(leftM)} m from the target after ${Math.round(elapsed / 1000)} s` });
    if (nowMs - lastReportMs >= PROGRESS_EVERY_MS) {
      lastReportMs = nowMs;
      const gs = groundSpeedOf(s) ?? 0;
      const pct = startDistM > 0 ? Math.max(0, Math.min(99, Math.floor((1 - leftM / startDistM) * 100))) : 0;
      hooks.onOutcomeProgress?.({ progressPct: pct, distanceLeftM: Math.round(leftM), ...(gs > 0.5 ? { etaS: Math.round(leftM / gs) } : {}) });
    }
  });
}
