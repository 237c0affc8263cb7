import type { Autopilot } from './modes.ts';
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

/**
 * Modes in which the autopilot never arms. ArduCopter: Mode::allows_arming() false (it
 * says so: "Arm: RTL mode not armable"). PX4: mode_req_prevent_arming (mode_requirements.cpp);
 * PX4 reports that only as an event ("Mode not suitable for arming"), its STATUSTEXT being
 * the generic "Arming denied: Resolve system health failures first", the same text it
 * gives while booting.
 */
const NOT_ARMABLE: Record<Autopilot, ReadonlySet<string>> = {
  ardupilot: new Set(['RTL', 'LAND', 'SMART_RTL', 'AUTO_RTL']),
  px4: new Set(['AUTO.RTL', 'AUTO.LAND', 'AUTO.FOLLOW_TARGET', 'AUTO.PRECLAND']),
};

export function modeArmable(autopilot: Autopilot, mode: string): boolean {
  return !NOT_ARMABLE[autopilot].has(mode);
}

/** What we know of the vehicle when its refusal came. */
export interface ArmContext {
  autopilot: Autopilot;
  /** Its current mode as ringwatch names it. */
  mode: string | undefined;
  /** Its arming checks have passed before, or it has been armed: the boot is over. */
  readySeen: boolean;
}

/**
 * Transient or permanent, by the reason's words and, where the words do not say (PX4's
 * one text for every failed check), by the vehicle's state: during the boot it is
 * transient; once the vehicle has been seen ready, a refusal in a mode it cannot arm in
 * is the mode's doing and permanent.
 */
export function classifyArmRefusal(r: Pick<CommandResult, 'status' | 'message'>, ctx?: ArmContext): ArmRefusal {
  if (r.status !== 'failed' && r.status !== 'denied' && r.status !== 'temporarily_rejected') return 'permanent';
  const text = r.message ?? '';
  if (/fence requires position/i.test(text)) return 'transient';
  if (PERMANENT.some((p) => p.test(text))) return 'permanent';
  if (ctx?.readySeen && ctx.mode !== undefined && !modeArmable(ctx.autopilot, ctx.mode)) return 'permanent';
  // MAV_RESULT_TEMPORARILY_REJECTED means "try again later" by definition.
  if (r.status === 'temporarily_rejected') return 'transient';
  return TRANSIENT.some((p) => p.test(text)) ? 'transient' : 'permanent';
}
