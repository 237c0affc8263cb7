import type { SimVehicle } from '../model/vehicle.ts';

/**
 * ArduCopter's ModeGuided::set_destination refuses a destination the enabled fence does
 * not allow (AC_Fence::check_destination_within_fence: outside an inclusion polygon or
 * inside an exclusion). Called before any mode change, as Copter checks the target
 * before switching to GUIDED ("we don't want to change the flight mode unless we can
 * also set the target"). Altitude and circle fences round home are not modelled here:
 * the sim's fence holds only the uploaded zones.
 */
export function guidedTargetOutsideFence(v: SimVehicle, p: { latDeg: number; lonDeg: number }): boolean {
  const ap = v.ap;
  if (!v.personality.guidedTargetWithinFence || !ap.fenceEnabled || ap.fence.empty) return false;
  return ap.fence.breach(p) !== undefined;
}
