import { common, minimal } from 'node-mavlink';
import type { ModeName } from '../modes.ts';
import type { AltFrame, BootStage, Personality, Refusal } from './personality.ts';

const F = common.MavFrame;
const Cmd = common.MavCmd;
const Flag = minimal.MavModeFlag;

/** px4_custom_mode.h: main mode in bits 16-23, sub mode (AUTO only) in bits 24-31. */
const MAIN = { MANUAL: 1, ALTCTL: 2, POSCTL: 3, AUTO: 4, OFFBOARD: 6, STABILIZED: 7 } as const;
const AUTO_SUB = { READY: 1, TAKEOFF: 2, LOITER: 3, MISSION: 4, RTL: 5, LAND: 6 } as const;

/** Behaviour → (main, sub). Hold (AUTO.LOITER) is where a PX4 hovers between jobs. */
const ENCODING: Record<ModeName, [number, number]> = {
  STABILIZE: [MAIN.STABILIZED, 0],
  ALT_HOLD: [MAIN.ALTCTL, 0],
  LOITER: [MAIN.POSCTL, 0],
  GUIDED: [MAIN.AUTO, AUTO_SUB.LOITER],
  BRAKE: [MAIN.AUTO, AUTO_SUB.LOITER],
  AUTO: [MAIN.AUTO, AUTO_SUB.MISSION],
  RTL: [MAIN.AUTO, AUTO_SUB.RTL],
  LAND: [MAIN.AUTO, AUTO_SUB.LAND],
  TAKEOFF: [MAIN.AUTO, AUTO_SUB.TAKEOFF],
  OFFBOARD: [MAIN.OFFBOARD, 0],
};
const LABEL: Record<ModeName, string> = {
  STABILIZE: 'STABILIZED', ALT_HOLD: 'ALTCTL', LOITER: 'POSCTL', GUIDED: 'AUTO.LOITER', BRAKE: 'AUTO.LOITER',
  AUTO: 'AUTO.MISSION', RTL: 'AUTO.RTL', LAND: 'AUTO.LAND', TAKEOFF: 'AUTO.TAKEOFF', OFFBOARD: 'OFFBOARD',
};

function decode(main: number, sub: number): ModeName | undefined {
  switch (main) {
    case MAIN.MANUAL:
    case MAIN.STABILIZED:
      return 'STABILIZE';
    case MAIN.ALTCTL:
      return 'ALT_HOLD';
    case MAIN.POSCTL:
      return 'LOITER';
    case MAIN.OFFBOARD:
      return 'OFFBOARD';
    case MAIN.AUTO:
      switch (sub) {
        case AUTO_SUB.LOITER: return 'GUIDED';
        case AUTO_SUB.MISSION: return 'AUTO';
        case AUTO_SUB.RTL: return 'RTL';
        case AUTO_SUB.LAND: return 'LAND';
        case AUTO_SUB.TAKEOFF: return 'TAKEOFF';
        default: return undefined;
      }
    default:
      return undefined;
  }
}

/** Position commands PX4's mission parser takes in a global frame (MavlinkMissionManager::parse_mavlink_mission_item). */
const GLOBAL_COMMANDS: ReadonlySet<number> = new Set<number>([
  Cmd.NAV_WAYPOINT, Cmd.NAV_LOITER_UNLIM, Cmd.NAV_LOITER_TIME, Cmd.NAV_LAND, Cmd.NAV_TAKEOFF, Cmd.NAV_LOITER_TO_ALT,
  Cmd.DO_SET_ROI_LOCATION, Cmd.NAV_VTOL_TAKEOFF, Cmd.NAV_VTOL_LAND, Cmd.NAV_FENCE_RETURN_POINT,
  Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION, Cmd.NAV_FENCE_POLYGON_VERTEX_EXCLUSION, Cmd.NAV_FENCE_CIRCLE_INCLUSION,
  Cmd.NAV_FENCE_CIRCLE_EXCLUSION, Cmd.NAV_RALLY_POINT,
]);
/** Commands without coordinates, accepted only in MAV_FRAME_MISSION (2). */
const MISSION_FRAME_COMMANDS: ReadonlySet<number> = new Set<number>([
  Cmd.DO_JUMP, Cmd.DO_CHANGE_SPEED, Cmd.DO_SET_HOME, Cmd.DO_LAND_START, Cmd.DO_DIGICAM_CONTROL, Cmd.DO_MOUNT_CONTROL,
  Cmd.IMAGE_START_CAPTURE, Cmd.IMAGE_STOP_CAPTURE, Cmd.DO_SET_CAM_TRIGG_DIST, Cmd.NAV_DELAY, Cmd.NAV_RETURN_TO_LAUNCH,
  Cmd.DO_SET_ROI_NONE, Cmd.CONDITION_DELAY, Cmd.CONDITION_DISTANCE, Cmd.DO_GRIPPER,
]);
const GLOBAL_FRAMES: ReadonlySet<number> = new Set<number>([F.GLOBAL, F.GLOBAL_RELATIVE_ALT, F.GLOBAL_INT, F.GLOBAL_RELATIVE_ALT_INT]);
// PX4 ends texts that also exist as events with "\t" and sends them as they are; a GCS
// that speaks events hides them, others must strip the tab.
const INVALID_ITEM = 'IGN MISSION_ITEM: Invalid item\t';
const STATUSTEXT_CHUNK = 50;
/** Commander::arm when the health checks fail (52 characters with the tab: two chunks). */
const HEALTH_FAILURES = 'Arming denied: Resolve system health failures first\t';

/** PX4 main (March 2026), SIH quadrotor, as SITL showed it (issue 17) and mavlink_mission.cpp reads. */
export const px4: Personality = {
  kind: 'px4',
  mavAutopilot: minimal.MavAutopilot.PX4,
  customMode(mode) {
    const [main, sub] = ENCODING[mode];
    return ((sub << 24) | (main << 16)) >>> 0;
  },
  baseMode(mode, armed) {
    // PX4 get_mavlink_mode_state: custom mode always; auto modes add AUTO|GUIDED|STABILIZE.
    let base = Flag.CUSTOM_MODE_ENABLED;
    const [main] = ENCODING[mode];
    if (main === MAIN.AUTO || main === MAIN.OFFBOARD) base |= Flag.AUTO_ENABLED | Flag.GUIDED_ENABLED | Flag.STABILIZE_ENABLED;
    else if (main === MAIN.POSCTL) base |= Flag.MANUAL_INPUT_ENABLED | Flag.STABILIZE_ENABLED | Flag.GUIDED_ENABLED;
    else base |= Flag.MANUAL_INPUT_ENABLED | Flag.STABILIZE_ENABLED;
    if (armed) base |= Flag.SAFETY_ARMED;
    return base;
  },
  modeFromCustomMode: (n) => decode((n >>> 16) & 0xff, (n >>> 24) & 0xff),
  modeFromCommand: (p2, p3) => decode(Math.round(p2), Math.round(p3)),
  modeLabel: (mode) => LABEL[mode],
  bootMode: 'GUIDED',

  missionHasHome: false,
  defaultRequestStyle: 'int',
  floatItemWarning: undefined,
  legacyRequestWarning: undefined,
  checkMissionItem(it): Refusal | undefined {
    if (it.missionType !== 0) return undefined;
    if (GLOBAL_FRAMES.has(it.frame)) {
      // A coordinate-less command in a global frame falls to the parser's default case.
      return GLOBAL_COMMANDS.has(it.command) ? undefined : { result: common.MavMissionResult.UNSUPPORTED, text: INVALID_ITEM };
    }
    if (it.frame === F.MISSION) {
      return MISSION_FRAME_COMMANDS.has(it.command) ? undefined : { result: common.MavMissionResult.UNSUPPORTED, text: INVALID_ITEM };
    }
    return { result: common.MavMissionResult.UNSUPPORTED_FRAME, text: INVALID_ITEM };
  },
  // format_mavlink_mission_item: frames and params as stored, since PX4 keeps what it parsed.
  downloadItem: (it) => ({ ...it, current: 0 }),
  fenceReading: 'px4',
  fenceBreach: undefined,
  checksMissionAgainstFence: true,
  // Commander, VEHICLE_CMD_MISSION_START with no valid mission (mavlink_log_critical).
  missionStartDeniedText: 'Mission start denied! No valid mission\t',

  commandIntAlt(_command, frame): AltFrame | Refusal {
    // MavlinkReceiver::handle_message_command_int: every COMMAND_INT not in GLOBAL_INT is
    // refused with UNSUPPORTED_MAV_FRAME; "frame invalid for command <n>" is PX4_ERR, on
    // the console only (the STATUSTEXT stream carries mavlink_log, not PX4_ERR).
    if (frame === F.GLOBAL_INT) return 'amsl';
    return { result: common.MavResult.COMMAND_UNSUPPORTED_MAV_FRAME };
  },
  // PX4 reads DO_REPOSITION and NAV_TAKEOFF param7 as AMSL (issue 17: 30 m requested, hovered at 18–19.5 m over a 12 m home).
  commandLongAlt: () => 'amsl',
  // Commander::handle_command: a denied arm transition is TEMPORARILY_REJECTED.
  armRefusedResult: common.MavResult.TEMPORARILY_REJECTED,
  // Commander::arm: every failed health or arming check ends in the one text.
  armTexts: {
    // ModeChecks::checkArmingRequirement reports "Mode not suitable for arming" as an event
    // only; the STATUSTEXT is Commander::arm's one text.
    modeNotArmable: () => HEALTH_FAILURES,
    noPosition: HEALTH_FAILURES, lowBattery: HEALTH_FAILURES, outsideFence: HEALTH_FAILURES },
  armPrefix: '',
  prearmPrefix: '',
  prearmReportPeriodS: undefined,
  missionStartTakesRange: true,
  defaultTakeoffAltM: 2.5, // MIS_TAKEOFF_ALT
  takeoffMode: 'TAKEOFF',
  // SITL here: a refusal's reason leaves in the same few ms as its ack, once texts flow at
  // all; right after boot the first reasons waited for the STATUSTEXT stream (issue 17:
  // ~880 ms; here 1.4 s after the first GCS heartbeat), which textsAfterGcsMs models.
  reasonDelayMs: 5,
  textsAfterGcsMs: 1000,
  repositionSetsSpeed: true,
  // Commander: DO_REPOSITION without the CHANGE_MODE bit is UNSUPPORTED; with it, Hold.
  repositionNeedsModeFlag: 'always',
  positionTargetMode: 'OFFBOARD',
  resetsSpeedOnEntry: () => false,

  statusTexts(severity, text, nextId) {
    // MavlinkStreamStatustext: every text takes the next id (from 0); a text longer than
    // 50 characters goes out in 50-character chunks with that id, chunk_seq 0, 1…
    const id = nextId();
    const out: common.StatusText[] = [];
    for (let i = 0, seq = 0; i === 0 || i < text.length; i += STATUSTEXT_CHUNK, seq++) {
      const m = new common.StatusText();
      m.severity = severity;
      m.text = text.slice(i, i + STATUSTEXT_CHUNK);
      m.id = id;
      m.chunkSeq = seq;
      out.push(m);
    }
    return out;
  },
  landedDisarmText: 'Disarmed by landing\t',
  armedText: 'Armed by external command\t',
  disarmedText: 'Disarmed by external command\t',
  idleDisarmText: 'Disarmed by auto preflight disarming\t',
  banner: ['PX4 v1.17.0-alpha1 (sih_quadx)'],
  flightSwVersion: ((1 << 24) | (17 << 16) | (0 << 8) | 0) >>> 0,
  bootStages(prearmDelayS, _sensorChecksS): BootStage[] {
    return [{ untilS: prearmDelayS, reasons: [HEALTH_FAILURES] }];
  },
  // SITL: HOME_POSITION 2.4 s after a cold boot.
  homeSetS: (_prearmDelayS, gpsFixDelayS) => gpsFixDelayS,

  defaults: {
    wpSpeedMps: 5, // MPC_XY_CRUISE 5 m/s
    // SITL: HOME_POSITION at 2.4 s, "Ready for takeoff!" within ~6 s of a cold boot.
    prearmDelayS: 6,
    gpsFixDelayS: 2.4,
    rtlAltM: 60, // RTL_RETURN_ALT
    batteryEnduranceS: undefined,
  },
};
