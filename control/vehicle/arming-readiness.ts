import type { CommandResult } from './result.ts';

/**
 * Is an arming refusal worth retrying? Pure. After a cold boot ArduCopter refuses with
 * "System not initialised", then "AHRS: waiting for home" / "Accels inconsistent", then
 * "Need Position Estimate" until about 41 s; PX4 answers TEMPORARILY_REJECTED at once and
 * its reason ("Arming denied: Resolve system health failures first", "... not ready")
 * ~880 ms later. Those pass by themselves. A mode that cannot arm, a low battery or a
 * fence breach do not: they fail at once with the autopilot's words.
 */

/** Reasons that do not go away by waiting. Checked first. */
const PERMANENT = [
  /mode not armable|not armable in|mode .*not allowed|arming not allowed in/i,
  /battery|low voltage|capacity/i,
  /fence breach|outside (the )?fence|fence.*breach|breached/i,
  /throttle (too high|not)|rc not (calibrated|found)|safety switch|hardware safety|kill ?switch|arming switch/i,
  /logging (failed|not)|no sd card|check (board|firmware)/i,
];

/** Reasons that settle as the autopilot boots and its estimators converge. */
const TRANSIENT = [
  /not initiali[sz]ed|initiali[sz]ing|system not ready|not ready|waiting/i,
  /ahrs|ekf|estimate|estimator|inconsistent|settling|gyros? (still|not)|accels? (still|not)|compass.*(calibrating|not healthy yet)/i,
  /gps|fix|hdop|satellites|home/i,
  /resolve system health|health failures|preflight|pre-?flight/i,
  /fence requires position/i,
];

export type ArmRefusal = 'transient' | 'permanent';

export function classifyArmRefusal(r: Pick<CommandResult, 'status' | 'message'>): ArmRefusal {
  if (r.status !== 'failed' && r.status !== 'denied' && r.status !== 'temporarily_rejected') return 'permanent';
  const text = r.message ?? '';
  if (/fence requires position/i.test(text)) return 'transient';
  if (PERMANENT.some((p) => p.test(text))) return 'permanent';
  // MAV_RESULT_TEMPORARILY_REJECTED means "try again later" by definition.
  if (r.status === 'temporarily_rejected') return 'transient';
  return TRANSIENT.some((p) => p.test(text)) ? 'transient' : 'permanent';
}
