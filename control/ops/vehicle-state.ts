import type { DroneTask } from '../dispatch/choose-responder.ts';

/** What operations needs from a drone's own report to judge where it is and what it does. */
export interface VehicleReport {
  armed: boolean;
  altRelM: number;
  /** Flight mode name as normalised for the autopilot ("AUTO", "RTL", "LAND", "GUIDED"...). */
  mode: string;
}

/** Above this height an armed drone counts as flying. */
export const AIRBORNE_REL_M = 2;

export function isAirborne(r: VehicleReport | undefined): boolean {
  return !!r && r.armed && r.altRelM > AIRBORNE_REL_M;
}

/**
 * On the ground and done: ArduPilot and PX4 disarm by themselves a few seconds after
 * touching down ("Disarmed by landing"), so disarmed is the landing's end, whatever the
 * height estimate says (baro drift leaves a landed drone at ±1 m).
 */
export function isLanded(r: VehicleReport | undefined): boolean {
  return !!r && !r.armed;
}

/** ArduCopter's and PX4's names (modes.ts) for flying home or landing. */
const HOMEWARD_MODES = new Set(['RTL', 'LAND', 'SMART_RTL', 'AUTO_RTL', 'AUTO.RTL', 'AUTO.LAND']);

/** Modes in which the autopilot is bringing the drone down or home by itself. */
export function isHomeward(r: VehicleReport | undefined): boolean {
  return !!r && HOMEWARD_MODES.has(r.mode);
}

/**
 * The task a drone is on, corrected by what it reports: the task records intent (a
 * patrol sortie, an alarm), the vehicle tells whether that intent still holds. A drone
 * that landed and disarmed is docked whatever it was doing; one flown home by an
 * operator or a failsafe (RTL/LAND) is returning; one in the air with no task (a manual
 * take-off or goto) is under manual control, not docked.
 *
 * `flownSinceSet`: the drone has been seen airborne since the task was given. A task
 * given on the ground (a dispatch from the dock, a patrol launch) is not over just
 * because the drone has not taken off yet.
 */
export function deriveTask(task: DroneTask, r: VehicleReport | undefined, flownSinceSet: boolean): DroneTask {
  if (!r) return task;
  if (isLanded(r)) return task.kind === 'docked' || !flownSinceSet ? task : { kind: 'docked' };
  if (task.kind === 'docked' && isAirborne(r)) return isHomeward(r) ? { kind: 'returning' } : { kind: 'manual' };
  if (task.kind === 'patrol' && isHomeward(r)) return { kind: 'returning' };
  if (task.kind === 'manual' && isHomeward(r)) return { kind: 'returning' };
  return task;
}
