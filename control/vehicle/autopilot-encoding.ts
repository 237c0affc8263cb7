import { common } from 'node-mavlink';
import type { CommandSpec } from './command-sender.ts';
import type { Autopilot } from './modes.ts';
import type { MissionType, PlanItem } from './plan-item.ts';

/**
 * The one place that decides how ringwatch's intent is encoded for each autopilot:
 * frames, altitude references and which parameter carries what. Pure: no I/O.
 *
 * What the real autopilots do (ArduCopter 4.7-dev SITL, PX4 main March 2026 SIH):
 * - Mission NAV items: both accept GLOBAL_RELATIVE_ALT_INT (6); ArduPilot returns them
 *   as GLOBAL_RELATIVE_ALT (3) on read-back.
 * - DO_CHANGE_SPEED, DO_JUMP, NAV_RETURN_TO_LAUNCH: PX4 accepts them only in
 *   MAV_FRAME_MISSION (2) ("IGN MISSION_ITEM: Invalid item", MISSION_ACK 3 otherwise);
 *   ArduPilot accepts 2 and returns frame 0.
 * - DO_REPOSITION (COMMAND_INT): ArduPilot takes GLOBAL_RELATIVE_ALT_INT; PX4 refuses it
 *   ("frame invalid for command 192") and wants GLOBAL_INT, altitude AMSL. ArduCopter
 *   ignores param1 (speed); PX4 honours it.
 * - NAV_TAKEOFF param7: ArduPilot reads metres above home; PX4 reads metres AMSL.
 */

const e7 = (deg: number) => Math.round(deg * 1e7);

/** Commands whose x/y/z are a position (NAV and fence/rally items); everything else is frame-free. */
const POSITIONAL_COMMANDS = new Set<number>([
  common.MavCmd.NAV_WAYPOINT,
  common.MavCmd.NAV_LOITER_UNLIM,
  common.MavCmd.NAV_LOITER_TURNS,
  common.MavCmd.NAV_LOITER_TIME,
  common.MavCmd.NAV_LAND,
  common.MavCmd.NAV_TAKEOFF,
  common.MavCmd.NAV_LOITER_TO_ALT,
  common.MavCmd.NAV_SPLINE_WAYPOINT,
  common.MavCmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION,
  common.MavCmd.NAV_FENCE_POLYGON_VERTEX_EXCLUSION,
  common.MavCmd.NAV_FENCE_CIRCLE_INCLUSION,
  common.MavCmd.NAV_FENCE_CIRCLE_EXCLUSION,
  common.MavCmd.NAV_RALLY_POINT,
]);

export function isPositional(command: number): boolean {
  return POSITIONAL_COMMANDS.has(command);
}

/**
 * A mission item as this autopilot must receive it. Mission NAV items go in
 * GLOBAL_RELATIVE_ALT_INT; non-positional items in MAV_FRAME_MISSION with x/y/z zeroed
 * (PX4 refuses them otherwise). Fence and rally items are left as the caller built them.
 * The encoding is the same for both autopilots today; the parameter is kept so the
 * difference, when one appears, has its place here.
 */
export function encodeMissionItem(_autopilot: Autopilot, type: MissionType, item: PlanItem): PlanItem {
  if (type !== 'mission') return item;
  if (isPositional(item.command)) return { ...item, frame: common.MavFrame.GLOBAL_RELATIVE_ALT_INT };
  return { ...item, frame: common.MavFrame.MISSION, x: 0, y: 0, z: 0 };
}

export function encodeMission(autopilot: Autopilot, type: MissionType, items: PlanItem[]): PlanItem[] {
  return items.map((i) => encodeMissionItem(autopilot, type, i));
}

/** The home position's altitude above mean sea level, needed wherever PX4 wants AMSL. */
export interface HomeAltitude {
  homeAmslM: number | undefined;
}

export type Encoded = { ok: true; spec: CommandSpec } | { ok: false; reason: string };

const NO_HOME = 'home altitude (AMSL) unknown: no HOME_POSITION from the vehicle yet';

/**
 * DO_REPOSITION by COMMAND_INT. param2 bit 0 (MAV_DO_REPOSITION_FLAGS_CHANGE_MODE) lets
 * the vehicle switch to GUIDED (ArduPilot) / Hold (PX4) to act on it.
 */
export function encodeReposition(
  autopilot: Autopilot,
  to: { latDeg: number; lonDeg: number; altRelM: number; speedMps?: number },
  home: HomeAltitude,
): Encoded {
  const speed = to.speedMps ?? -1;
  if (autopilot === 'px4') {
    if (home.homeAmslM === undefined) return { ok: false, reason: NO_HOME };
    return {
      ok: true,
      spec: {
        command: common.MavCmd.DO_REPOSITION,
        params: [speed, 1, 0, Number.NaN, e7(to.latDeg), e7(to.lonDeg), to.altRelM + home.homeAmslM],
        int: { frame: common.MavFrame.GLOBAL_INT },
      },
    };
  }
  return {
    ok: true,
    spec: {
      command: common.MavCmd.DO_REPOSITION,
      // ArduCopter ignores param1; the speed goes by DO_CHANGE_SPEED once in GUIDED.
      params: [-1, 1, 0, Number.NaN, e7(to.latDeg), e7(to.lonDeg), to.altRelM],
      int: { frame: common.MavFrame.GLOBAL_RELATIVE_ALT_INT },
    },
  };
}

/** Does this autopilot need a DO_CHANGE_SPEED after entering GUIDED for a go-to's speed? */
export function speedNeedsChangeSpeed(autopilot: Autopilot): boolean {
  // ArduCopter resets the guided speed on entering GUIDED and ignores DO_REPOSITION's
  // param1; PX4 flies DO_REPOSITION's param1.
  return autopilot === 'ardupilot';
}

/** NAV_TAKEOFF by COMMAND_LONG; param7 is above home on ArduPilot, AMSL on PX4. */
export function encodeTakeoff(autopilot: Autopilot, altRelM: number, home: HomeAltitude): Encoded {
  const nan = Number.NaN;
  if (autopilot === 'px4') {
    if (home.homeAmslM === undefined) return { ok: false, reason: NO_HOME };
    return { ok: true, spec: { command: common.MavCmd.NAV_TAKEOFF, params: [nan, 0, 0, nan, nan, nan, altRelM + home.homeAmslM] } };
  }
  return { ok: true, spec: { command: common.MavCmd.NAV_TAKEOFF, params: [0, 0, 0, nan, nan, nan, altRelM] } };
}

/** DO_CHANGE_SPEED: param1 1 = ground speed, param3 -1 = throttle unchanged. */
export function encodeChangeSpeed(speedMps: number): CommandSpec {
  return { command: common.MavCmd.DO_CHANGE_SPEED, params: [1, speedMps, -1, 0, 0, 0, 0] };
}

/** The mode a hold uses: GUIDED on ArduCopter (LOITER needs RC throttle), Hold on PX4. */
export function holdModeName(autopilot: Autopilot): string {
  return autopilot === 'px4' ? 'AUTO.LOITER' : 'GUIDED';
}
