import type { CommandHooks } from './command-sender.ts';
import type { CommandResult } from './result.ts';
import type { VehicleWatch } from './vehicle-context.ts';

/**
 * Close enough to the requested altitude: max(2.5 m, 5 %). ArduCopter SITL ended its
 * take-off to 30 m at 28.6 m of reported relative altitude (a 30→35 m go-to levelled at
 * 33.4 m: a steady ~1.5 m between its controller's altitude and GLOBAL_POSITION_INT's),
 * so a tighter band would fail good take-offs; "27 of 45 m" still fails.
 */
export function takeoffToleranceM(altRelM: number): number {
  return Math.max(2.5, 0.05 * altRelM);
}

const POLL_MS = 100;
/** A disarm seen this soon after the accept may be a heartbeat sent before the arm. */
const DISARM_GRACE_MS = 1500;

/**
 * The outcome of an accepted take-off: resolves success once the vehicle's own telemetry
 * shows it within tolerance of `altRelM` (issue 14: "Take-off showed done at 27 of 45 m"),
 * failed when it disarms (a take-off that did not happen), timeout after `withinMs`.
 * Progress (the climb as a percentage, from telemetry) goes to `hooks.onProgress`.
 */
export function awaitAltitude(v: VehicleWatch, altRelM: number, withinMs: number, accepted: CommandResult, hooks: CommandHooks = {}): Promise<CommandResult> {
  const tolM = takeoffToleranceM(altRelM);
  const startMs = v.clock.nowMs();
  let lastPct = -1;
  return new Promise((resolve) => {
    const finish = (r: CommandResult) => {
      clearInterval(timer);
      v.off('link_lost', onLost);
      hooks.signal?.removeEventListener('abort', onAbort);
      resolve({ ...r, attempts: accepted.attempts });
    };
    const onLost = () => finish({ status: 'link_lost', message: 'link lost during the climb' });
    const onAbort = () => finish({ status: 'cancelled', message: 'cancelled by request during the climb' });
    const check = () => {
      const s = v.telemetryState;
      const altM = (s.relAltMm ?? 0) / 1000;
      if (altM >= altRelM - tolM) return finish({ status: 'success', message: `reached ${altM.toFixed(1)} m of ${altRelM} m` });
      const elapsed = v.clock.nowMs() - startMs;
      if (s.armed === false && elapsed > DISARM_GRACE_MS) return finish({ status: 'failed', message: `take-off accepted but the vehicle disarmed at ${altM.toFixed(1)} m` });
      if (elapsed > withinMs) {
        return finish({ status: 'timeout', message: `take-off accepted but the vehicle reached only ${altM.toFixed(1)} m of ${altRelM} m in ${Math.round(elapsed / 1000)} s` });
      }
      const pct = Math.max(0, Math.min(99, Math.floor((altM / altRelM) * 10) * 10));
      if (pct > lastPct) {
        lastPct = pct;
        hooks.onProgress?.(pct);
      }
    };
    const timer = setInterval(check, POLL_MS);
    // A poll must not keep the process alive (see goto-outcome.ts).
    timer.unref();
    v.on('link_lost', onLost);
    hooks.signal?.addEventListener('abort', onAbort, { once: true });
    check();
  });
}
