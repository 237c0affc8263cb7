import { common } from 'node-mavlink';

/**
 * One item of the MAVLink mission protocol (mission, fence or rally) in MISSION_ITEM_INT
 * terms: for global frames x and y are latitude and longitude in degE7; z is metres in the
 * frame's reference. Control's plan items (control/vehicle/plan-item.ts) and the simulated
 * autopilot's store (simulators/drone/model/mission-store.ts) both extend it: the two meet
 * on the wire and must not import each other. (Not re-exported by protocol/index.ts,
 * which the web console bundles: this needs node-mavlink's enums.)
 */
export interface MissionItemFields {
  command: number;
  frame: number;
  param1: number;
  param2: number;
  param3: number;
  param4: number;
  x: number;
  y: number;
  z: number;
}

const F = common.MavFrame;

/** Frames whose x/y are a latitude/longitude (degE7 in the INT messages, degrees in legacy MISSION_ITEM). */
export const GLOBAL_FRAMES: ReadonlySet<number> = new Set<number>([
  F.GLOBAL,
  F.GLOBAL_RELATIVE_ALT,
  F.GLOBAL_INT,
  F.GLOBAL_RELATIVE_ALT_INT,
  F.GLOBAL_TERRAIN_ALT,
  F.GLOBAL_TERRAIN_ALT_INT,
]);

/**
 * An item's x/y in degE7. A legacy float MISSION_ITEM carries degrees in global frames,
 * rounded as ArduPilot's convert_MISSION_ITEM_to_MISSION_ITEM_INT does; anything else is
 * taken as it came.
 */
export function xyE7(m: { frame: number; x: number; y: number }, legacy: boolean): { x: number; y: number } {
  if (!legacy || !GLOBAL_FRAMES.has(m.frame)) return { x: m.x, y: m.y };
  return { x: Math.round(m.x * 1e7), y: Math.round(m.y * 1e7) };
}
