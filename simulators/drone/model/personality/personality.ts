import type { common } from 'node-mavlink';
import type { StoredItem } from '../mission-store.ts';
import type { FenceReading } from '../fence.ts';
import type { ModeName } from '../modes.ts';

export type AutopilotKind = 'ardupilot' | 'px4';

/** Altitude reference of a command's z / param7. */
export type AltFrame = 'relative' | 'amsl';

/** A refusal the vehicle answers with: MAV_RESULT or MAV_MISSION_RESULT, and the STATUSTEXT that explains it. */
export interface Refusal {
  result: number;
  text?: string;
}

/** One stage of the boot: until `untilS` after boot, arming is refused for `reasons`. */
export interface BootStage {
  untilS: number;
  reasons: string[];
  /** Only modes that need a position are refused (Copter's "Need Position Estimate"). */
  positionModesOnly?: boolean;
}

/** Why arming is refused, as the autopilot words it. */
export interface ArmTexts {
  /** The refusal in a mode that cannot arm, naming the mode as the autopilot does. */
  modeNotArmable(mode: ModeName): string;
  noPosition: string;
  lowBattery: string;
  outsideFence: string;
}

/**
 * Everything that differs between the autopilots the simulator imitates, in one place:
 * wire encodings (modes, frames, altitude references, STATUSTEXT), the mission list's
 * shape, and the few behaviours where ArduPilot and PX4 disagree. The flight model
 * (autopilot.ts, kinematics.ts) is shared and asks the personality instead of testing
 * `autopilot === 'px4'`.
 */
export interface Personality {
  readonly kind: AutopilotKind;
  /** HEARTBEAT.autopilot (MAV_AUTOPILOT). */
  readonly mavAutopilot: number;
  /** HEARTBEAT.custom_mode and base_mode for a behaviour. */
  customMode(mode: ModeName): number;
  baseMode(mode: ModeName, armed: boolean): number;
  /** SET_MODE.custom_mode → behaviour (undefined: no such mode). */
  modeFromCustomMode(customMode: number): ModeName | undefined;
  /** DO_SET_MODE param2 (custom or PX4 main mode) and param3 (PX4 sub mode) → behaviour. */
  modeFromCommand(param2: number, param3: number): ModeName | undefined;
  /** The mode's name as the autopilot's own GCS shows it (SimDroneState.mode). */
  modeLabel(mode: ModeName): string;
  /** Mode the vehicle boots in. */
  readonly bootMode: ModeName;

  // ---- mission protocol ----
  /** ArduPilot keeps home as mission item 0; PX4's list is the uploaded items only. */
  readonly missionHasHome: boolean;
  /** How the vehicle asks for upload items by default. */
  readonly defaultRequestStyle: 'int' | 'legacy';
  /** STATUSTEXT the first float MISSION_ITEM of an upload earns (undefined: accepted silently). */
  readonly floatItemWarning: string | undefined;
  /** STATUSTEXT the first legacy MISSION_REQUEST of a download earns. */
  readonly legacyRequestWarning: string | undefined;
  /** Refusal of one uploaded mission item beyond the shared checks (PX4's frame rules). */
  checkMissionItem(item: StoredItem): Refusal | undefined;
  /** The item as a download returns it (frames and fields the autopilot really stores). */
  downloadItem(item: StoredItem): StoredItem;
  /** How the stored fence list becomes zones (PX4 reads polygons after a circle its own way). */
  readonly fenceReading: FenceReading;
  /**
   * The breach report, or undefined for the simulator's generic "Fence Breached: <zone>".
   * ArduCopter (AC_Fence::print_fence_message) names the fence type at NOTICE: every
   * uploaded circle or polygon belongs to its polygon loader, so "Polygon fence breached".
   */
  readonly fenceBreach: { severity: number; text: string } | undefined;
  /**
   * PX4 checks every mission against the fence once home is valid (and again when the
   * mission, the fence or home change); an infeasible mission is kept but invalid:
   * MISSION_CURRENT says NO_MISSION and MISSION_START is DENIED with `missionStartDeniedText`.
   */
  readonly checksMissionAgainstFence: boolean;
  readonly missionStartDeniedText: string | undefined;

  // ---- commands ----
  /** Altitude reference of COMMAND_INT's z for a position command, or a refusal for its frame. */
  commandIntAlt(command: number, frame: number): AltFrame | Refusal;
  /** Altitude reference of COMMAND_LONG param7 for a command, or a refusal of the command over COMMAND_LONG. */
  commandLongAlt(command: number): AltFrame | Refusal;
  /** MAV_RESULT for a refused arm, and the reasons' wording. */
  readonly armRefusedResult: number;
  /** Reasons, without the prefix the autopilot puts before them. */
  readonly armTexts: ArmTexts;
  /** Prefix of reasons found by an arm command (Copter "Arm: ") and by the periodic or requested checks ("PreArm: "). */
  readonly armPrefix: string;
  readonly prearmPrefix: string;
  /** While disarmed and failing, the reasons are repeated this often (Copter: every 30 s); undefined: never. */
  readonly prearmReportPeriodS: number | undefined;
  /** MISSION_START may name its first/last item (PX4); Copter DENIES a range. */
  readonly missionStartTakesRange: boolean;
  /** NAV_TAKEOFF with param7 NaN climbs this far above home (PX4 MIS_TAKEOFF_ALT); undefined: refused. */
  readonly defaultTakeoffAltM: number | undefined;
  /** NAV_TAKEOFF: Copter takes off only in a mode with a user takeoff; PX4 switches to this mode (AUTO.TAKEOFF) from any. */
  readonly takeoffMode: ModeName | undefined;
  /** How long after a refusal's COMMAND_ACK its reason STATUSTEXT leaves. */
  readonly reasonDelayMs: number;
  /**
   * PX4 sends STATUSTEXT only once it counts a GCS as connected: texts wait until this long
   * after the first message heard from a GCS, and die if older than 5 s by then. Undefined:
   * texts go at once (ArduPilot).
   */
  readonly textsAfterGcsMs: number | undefined;
  /** DO_REPOSITION: whether param1 (ground speed) is obeyed. */
  readonly repositionSetsSpeed: boolean;
  /**
   * DO_REPOSITION without MAV_DO_REPOSITION_FLAGS_CHANGE_MODE: ArduPilot takes it in GUIDED
   * only ('outside-guided' needs the flag); PX4 refuses it in every mode ('always').
   */
  readonly repositionNeedsModeFlag: 'outside-guided' | 'always';
  /**
   * A GUIDED destination outside the enabled fence (outside an inclusion, inside an
   * exclusion) is refused: ArduCopter's ModeGuided::set_destination asks
   * AC_Fence::check_destination_within_fence first, so DO_REPOSITION answers a bare
   * FAILED (no STATUSTEXT) and SET_POSITION_TARGET_GLOBAL_INT is dropped; the vehicle
   * keeps its mode and its previous target. Absent: not checked (PX4 is modelled apart).
   */
  readonly guidedTargetWithinFence?: boolean;
  /** The only mode in which SET_POSITION_TARGET_GLOBAL_INT is followed. */
  readonly positionTargetMode: ModeName;
  /** Entering a mode resets the horizontal speed to the default (ArduPilot wp_and_spline_init). */
  resetsSpeedOnEntry(mode: ModeName): boolean;

  // ---- texts ----
  /** STATUSTEXT messages for one text (PX4 splits long texts into 50-character chunks). */
  statusTexts(severity: number, text: string, nextId: () => number): common.StatusText[];
  readonly landedDisarmText: string;
  /** Announced when a GCS command arms or disarms the vehicle. */
  readonly armedText: string;
  readonly disarmedText: string;
  /** Disarmed on the ground after DISARM_DELAY / COM_DISARM_PRFLT without taking off. */
  readonly idleDisarmText: string;
  /** Boot banner lines. */
  readonly banner: readonly string[];
  /** AUTOPILOT_VERSION.flight_sw_version. */
  readonly flightSwVersion: number;
  /**
   * Reasons arming is refused during the boot, stage by stage: the sensor and EKF stages
   * fill `sensorChecksS` (undefined: the real autopilot's, compressed when `prearmDelayS` is
   * shorter than its real boot), the last stage lasts until `prearmDelayS`.
   */
  bootStages(prearmDelayS: number, sensorChecksS: number | undefined): BootStage[];
  /** Home (mission item 0, HOME_POSITION) is unknown until this long after boot. */
  homeSetS(prearmDelayS: number, gpsFixDelayS: number, sensorChecksS: number | undefined): number;

  // ---- defaults ----
  readonly defaults: {
    /** WPNAV_SPEED / MPC_XY_CRUISE, m/s. */
    wpSpeedMps: number;
    prearmDelayS: number;
    gpsFixDelayS: number;
    rtlAltM: number;
    /** Battery endurance at cruise (undefined: the site's enduranceS). */
    batteryEnduranceS: number | undefined;
  };
}
