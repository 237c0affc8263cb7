import { common, minimal } from 'node-mavlink';
import type { StoredItem } from '../mission-store.ts';
import { requiresPosition, type ModeName } from '../modes.ts';
import type { AltFrame, BootStage, Personality, Refusal } from './personality.ts';

const F = common.MavFrame;
const Cmd = common.MavCmd;
const Flag = minimal.MavModeFlag;

/** Copter's custom modes (HEARTBEAT.custom_mode); PX4-only behaviours show as their nearest Copter mode. */
const COPTER_MODE: Record<ModeName, number> = {
  STABILIZE: 0, ALT_HOLD: 2, AUTO: 3, GUIDED: 4, LOITER: 5, RTL: 6, LAND: 9, BRAKE: 17, TAKEOFF: 4, OFFBOARD: 4,
};
const BY_NUMBER = new Map<number, ModeName>([
  [0, 'STABILIZE'], [2, 'ALT_HOLD'], [3, 'AUTO'], [4, 'GUIDED'], [5, 'LOITER'], [6, 'RTL'], [9, 'LAND'], [17, 'BRAKE'],
]);

/**
 * Commands AP_Mission keeps a location for (AP_Mission::stored_in_location); every
 * other command comes back from a download in frame GLOBAL (0) with x, y and z zero.
 */
const STORED_IN_LOCATION: ReadonlySet<number> = new Set<number>([
  Cmd.NAV_WAYPOINT, Cmd.NAV_LOITER_UNLIM, Cmd.NAV_LOITER_TURNS, Cmd.NAV_LOITER_TIME, Cmd.NAV_LAND, Cmd.NAV_TAKEOFF,
  Cmd.NAV_CONTINUE_AND_CHANGE_ALT, Cmd.NAV_LOITER_TO_ALT, Cmd.NAV_SPLINE_WAYPOINT, Cmd.NAV_GUIDED_ENABLE, Cmd.DO_SET_HOME,
  Cmd.DO_LAND_START, Cmd.DO_SET_ROI_LOCATION, Cmd.DO_SET_ROI,
]);

/**
 * AP_Mission::mission_cmd_to_mavlink_int: which of param1..4 a command keeps, as the
 * download returns them (the rest come back 0). Params are stored in narrow integer
 * fields, so e.g. a waypoint's hold time comes back whole seconds.
 */
function storedParams(it: StoredItem): [number, number, number, number] {
  const p1 = it.param1;
  switch (it.command) {
    case Cmd.NAV_WAYPOINT:
    case Cmd.NAV_SPLINE_WAYPOINT:
      return [Math.trunc(p1), 0, 0, 0]; // delay in seconds (uint16)
    case Cmd.NAV_LOITER_UNLIM:
      return [0, 0, Math.trunc(Math.abs(it.param3)) * (it.param3 < 0 ? -1 : 1), 0];
    case Cmd.NAV_LOITER_TURNS:
      return [Math.trunc(p1) & 0xff, 0, Math.trunc(Math.abs(it.param3)) * (it.param3 < 0 ? -1 : 1), it.param4 > 0 ? 1 : 0];
    case Cmd.NAV_LOITER_TIME:
      return [Math.trunc(p1), 0, it.param3 < 0 ? -1 : 1, it.param4 > 0 ? 1 : 0];
    case Cmd.NAV_LAND:
      return [Math.trunc(p1), 0, 0, 1]; // abort altitude; yaw direction +1
    case Cmd.NAV_TAKEOFF:
      return [Math.trunc(p1), 0, 0, 0]; // minimum pitch (Plane only)
    case Cmd.NAV_DELAY:
      return [it.param1, it.param2, it.param3, it.param4];
    case Cmd.DO_JUMP:
      return [Math.trunc(p1), Math.trunc(it.param2), 0, 0]; // target, repeat count
    case Cmd.DO_CHANGE_SPEED:
      return [Math.trunc(p1), it.param2, Math.trunc(it.param3), 0]; // speed type, m/s, throttle %
    case Cmd.DO_SET_HOME:
    case Cmd.DO_FENCE_ENABLE:
      return [Math.trunc(p1), 0, 0, 0];
    case Cmd.NAV_RETURN_TO_LAUNCH:
      return [0, 0, 0, 0];
    default:
      return [it.param1, it.param2, it.param3, it.param4];
  }
}

/** A stored location's frame as AP_Mission reports it: relative (3), terrain (10) or absolute (0); never an _INT frame. */
function reportedFrame(frame: number): number {
  switch (frame) {
    case F.GLOBAL_RELATIVE_ALT:
    case F.GLOBAL_RELATIVE_ALT_INT:
      return F.GLOBAL_RELATIVE_ALT;
    case F.GLOBAL_TERRAIN_ALT:
    case F.GLOBAL_TERRAIN_ALT_INT:
      return F.GLOBAL_TERRAIN_ALT;
    default:
      return F.GLOBAL;
  }
}

/** ArduCopter SITL: armable (EKF using GPS) 40.8 s after a cold boot; home/origin set at 19.4 s. */
const SITL_ARMABLE_S = 40.8;
const SITL_HOME_S = 19.5;
/** ArduCopter SITL: the sensor and EKF checks ("Gyros inconsistent") clear at ~21 s; then only the position estimate. */
const SITL_CHECKS_S = 21;

/** How long the sensor/EKF stages last: as given, else SITL's, compressed into a shorter boot. */
function sensorChecks(prearmDelayS: number, sensorChecksS: number | undefined): number {
  return Math.min(sensorChecksS ?? SITL_CHECKS_S * Math.min(1, prearmDelayS / SITL_ARMABLE_S), prearmDelayS);
}

/** ArduCopter 4.7-dev as SITL showed it (issue 11, and runs here) and its source confirms. */
export const ardupilot: Personality = {
  kind: 'ardupilot',
  mavAutopilot: minimal.MavAutopilot.ARDUPILOTMEGA,
  customMode: (mode) => COPTER_MODE[mode],
  baseMode(mode, armed) {
    // GCS_MAVLINK_Copter::base_mode: stabilize always, guided for autopilot modes, armed flag.
    let base = Flag.CUSTOM_MODE_ENABLED | Flag.STABILIZE_ENABLED;
    base |= requiresPosition(mode) || mode === 'LAND' ? Flag.GUIDED_ENABLED : Flag.MANUAL_INPUT_ENABLED;
    if (armed) base |= Flag.SAFETY_ARMED;
    return base;
  },
  modeFromCustomMode: (n) => BY_NUMBER.get(n),
  modeFromCommand: (p2) => BY_NUMBER.get(Math.round(p2)),
  modeLabel: (mode) => mode === 'TAKEOFF' || mode === 'OFFBOARD' ? 'GUIDED' : mode,
  bootMode: 'STABILIZE',

  missionHasHome: true,
  // What ArduCopter SITL 4.7-dev did here: the upload asked with MISSION_REQUEST.
  defaultRequestStyle: 'legacy',
  // MissionItemProtocol::send_mission_item_warning, once per upload, MAV_SEVERITY_WARNING.
  floatItemWarning: 'got MISSION_ITEM; GCS should send MISSION_ITEM_INT',
  // MissionItemProtocol::handle_mission_request, once per boot.
  legacyRequestWarning: 'got MISSION_REQUEST; use MISSION_REQUEST_INT!',
  checkMissionItem: () => undefined,
  fenceReading: 'ardupilot',
  fenceBreach: { severity: common.MavSeverity.NOTICE, text: 'Polygon fence breached' },
  checksMissionAgainstFence: false,
  // mode_guided.cpp set_destination → AC_Fence::check_destination_within_fence.
  guidedTargetWithinFence: true,
  missionStartDeniedText: undefined,
  downloadItem(it) {
    if (it.missionType !== 0) return it;
    const [param1, param2, param3, param4] = storedParams(it);
    if (!STORED_IN_LOCATION.has(it.command)) {
      return { ...it, frame: F.GLOBAL, param1, param2, param3, param4, x: 0, y: 0, z: 0, current: 0, autocontinue: 1 };
    }
    // Altitude is kept in centimetres.
    return { ...it, frame: reportedFrame(it.frame), param1, param2, param3, param4, z: Math.round(it.z * 100) / 100, current: 0, autocontinue: 1 };
  },

  commandIntAlt(command, frame): AltFrame | Refusal {
    // handle_MAV_CMD_NAV_TAKEOFF takes frame GLOBAL_RELATIVE_ALT (3) only.
    if (command === Cmd.NAV_TAKEOFF && frame !== F.GLOBAL_RELATIVE_ALT) return { result: common.MavResult.DENIED };
    if (frame === F.GLOBAL || frame === F.GLOBAL_INT) return 'amsl';
    return 'relative'; // GLOBAL_RELATIVE_ALT(_INT); terrain frames over our flat terrain
  },
  commandLongAlt(command): AltFrame | Refusal {
    // GCS_MAVLINK::try_command_long_as_command_int: commands that store a location need a
    // frame for COMMAND_LONG; DO_SET_HOME has one (GLOBAL, AMSL), DO_REPOSITION has none
    // and is UNSUPPORTED over COMMAND_LONG (COMMAND_INT only). The rest: above home.
    if (command === Cmd.DO_REPOSITION) return { result: common.MavResult.UNSUPPORTED };
    if (command === Cmd.DO_SET_HOME) return 'amsl';
    return 'relative';
  },
  armRefusedResult: common.MavResult.FAILED,
  armTexts: {
    // AP_Arming_Copter::arm_checks: "%s mode not armable" with Mode::name() (SITL: "Arm: RTL mode not armable").
    modeNotArmable: (mode) => `${mode === 'TAKEOFF' || mode === 'OFFBOARD' ? 'GUIDED' : mode} mode not armable`,
    noPosition: 'Need Position Estimate',
    lowBattery: 'Battery 1 below minimum arming capacity',
    outsideFence: 'Fence: vehicle outside fence',
  },
  // AP_Arming::check_failed: "Arm: " while an arm command runs its checks, "PreArm: " otherwise.
  armPrefix: 'Arm: ',
  prearmPrefix: 'PreArm: ',
  prearmReportPeriodS: 30, // PREARM_DISPLAY_PERIOD
  missionStartTakesRange: false,
  defaultTakeoffAltM: undefined,
  takeoffMode: undefined,
  // The ack leaves at once; the text waits in the STATUSTEXT queue for the next update (a few ms).
  reasonDelayMs: 5,
  textsAfterGcsMs: undefined,
  repositionSetsSpeed: false,
  repositionNeedsModeFlag: 'outside-guided',
  positionTargetMode: 'GUIDED',
  // ModeGuided/ModeAuto/ModeRTL::init → wp_and_spline_init(): back to WPNAV_SPEED (RTL_SPEED 0).
  resetsSpeedOnEntry: (mode) => mode === 'GUIDED' || mode === 'AUTO' || mode === 'RTL',

  statusTexts(severity, text) {
    const m = new common.StatusText();
    m.severity = severity;
    m.text = text.slice(0, 50);
    return [m];
  },
  landedDisarmText: 'Disarming motors',
  armedText: 'Arming motors', // SITL here, MAV_SEVERITY_INFO
  disarmedText: 'Disarming motors',
  idleDisarmText: 'Disarming motors',
  banner: ['ArduCopter V4.7.0-dev (90700977)', 'Frame: QUAD/X'],
  flightSwVersion: ((4 << 24) | (7 << 16) | (0 << 8) | 0) >>> 0, // 4.7.0 dev
  bootStages(prearmDelayS, sensorChecksS): BootStage[] {
    // ArduCopter SITL 4.7-dev after a cold boot, arming every 2 s from a GCS (measured
    // here): each refusal listed every failing check. Times in seconds of that run; the
    // sensor/EKF stages (to 21 s) shrink to fit `sensorChecksS`, or a shorter boot.
    const checksS = sensorChecks(prearmDelayS, sensorChecksS);
    const k = checksS / SITL_CHECKS_S;
    return [
      { untilS: 1.8 * k, reasons: ['System not initialised'] },
      { untilS: 6 * k, reasons: ['Need Alt Estimate', 'Accels inconsistent', 'EKF attitude is bad', 'AHRS: waiting for home'] },
      { untilS: 12 * k, reasons: ['Accels inconsistent', 'AHRS: waiting for home'] },
      { untilS: SITL_HOME_S * k, reasons: ['Gyros inconsistent', 'AHRS: waiting for home'] },
      { untilS: checksS, reasons: ['Gyros inconsistent', 'Need Position Estimate'] },
      { untilS: prearmDelayS, reasons: ['Need Position Estimate'], positionModesOnly: true },
    ];
  },
  // SITL: "EKF3 IMU0 origin set" and "Field Elevation Set" at 19.4 s; before, home reads back as 0,0,0.
  homeSetS: (prearmDelayS, gpsFixDelayS, sensorChecksS) => Math.max(gpsFixDelayS, (SITL_HOME_S / SITL_CHECKS_S) * sensorChecks(prearmDelayS, sensorChecksS)),


  defaults: {
    wpSpeedMps: 10, // WPNAV_SPEED 1000 cm/s
    prearmDelayS: SITL_ARMABLE_S,
    // SITL: GLOBAL_POSITION_INT at 0,0 for the first 14 samples at 2 Hz, GPS_RAW_INT fix 3 at 9.6 s.
    gpsFixDelayS: 9,
    rtlAltM: 15, // RTL_ALT 1500 cm
    batteryEnduranceS: 410, // s at cruise: SITL's 100 % → 18 % in 6.5 min of patrol (issue 11)
  },
};
