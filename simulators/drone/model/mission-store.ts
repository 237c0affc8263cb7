import { common } from 'node-mavlink';
import { GLOBAL_FRAMES, type MissionItemFields } from '../../../protocol/mission-item.ts';

/** One stored item, in MISSION_ITEM_INT terms (x/y are degE7 for global frames), with its place in the list. */
export interface StoredItem extends MissionItemFields {
  seq: number;
  current: number;
  autocontinue: number;
  missionType: number;
}

export const MissionType = { MISSION: 0, FENCE: 1, RALLY: 2 } as const;
export type MissionTypeNumber = (typeof MissionType)[keyof typeof MissionType];

const Cmd = common.MavCmd;
const F = common.MavFrame;

const MISSION_FRAMES: ReadonlySet<number> = new Set([...GLOBAL_FRAMES, F.MISSION]);

/** Commands ArduPilot Copter stores in a mission (unknown ones are refused with MAV_MISSION_UNSUPPORTED). */
const MISSION_COMMANDS: ReadonlySet<number> = new Set<number>([
  Cmd.NAV_WAYPOINT, Cmd.NAV_LOITER_UNLIM, Cmd.NAV_LOITER_TURNS, Cmd.NAV_LOITER_TIME, Cmd.NAV_RETURN_TO_LAUNCH,
  Cmd.NAV_LAND, Cmd.NAV_TAKEOFF, Cmd.NAV_SPLINE_WAYPOINT, Cmd.NAV_DELAY, Cmd.CONDITION_DELAY, Cmd.CONDITION_DISTANCE,
  Cmd.CONDITION_YAW, Cmd.DO_JUMP, Cmd.DO_CHANGE_SPEED, Cmd.DO_SET_HOME, Cmd.DO_SET_RELAY, Cmd.DO_SET_SERVO,
  Cmd.DO_LAND_START, Cmd.DO_SET_ROI_LOCATION, Cmd.DO_SET_ROI_NONE, Cmd.DO_SET_ROI, Cmd.DO_DIGICAM_CONTROL,
  Cmd.DO_MOUNT_CONTROL, Cmd.DO_SET_CAM_TRIGG_DIST, Cmd.DO_FENCE_ENABLE, Cmd.DO_GRIPPER, Cmd.DO_GUIDED_LIMITS,
  Cmd.IMAGE_START_CAPTURE, Cmd.IMAGE_STOP_CAPTURE, Cmd.DO_GIMBAL_MANAGER_PITCHYAW,
]);
const FENCE_COMMANDS: ReadonlySet<number> = new Set<number>([
  Cmd.NAV_FENCE_RETURN_POINT, Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION, Cmd.NAV_FENCE_POLYGON_VERTEX_EXCLUSION,
  Cmd.NAV_FENCE_CIRCLE_INCLUSION, Cmd.NAV_FENCE_CIRCLE_EXCLUSION,
]);

/**
 * Checks one uploaded item the way ArduPilot does while it arrives; returns the
 * MAV_MISSION_RESULT to refuse it with, or undefined when it is acceptable.
 */
export function checkItem(item: StoredItem, hasHome = true): number | undefined {
  const R = common.MavMissionResult;
  if (item.missionType === MissionType.MISSION) {
    if (item.seq === 0 && hasHome) return undefined; // home: ArduPilot overwrites it with its own home
    if (!MISSION_COMMANDS.has(item.command)) return R.UNSUPPORTED;
    if (!MISSION_FRAMES.has(item.frame)) return R.UNSUPPORTED_FRAME;
  } else {
    const allowed = item.missionType === MissionType.FENCE ? FENCE_COMMANDS.has(item.command) : item.command === Cmd.NAV_RALLY_POINT;
    if (!allowed) return R.UNSUPPORTED;
    if (!GLOBAL_FRAMES.has(item.frame)) return R.UNSUPPORTED_FRAME;
  }
  if (GLOBAL_FRAMES.has(item.frame)) {
    if (Math.abs(item.x) > 90e7) return R.INVALID_PARAM5_X;
    if (Math.abs(item.y) > 180e7) return R.INVALID_PARAM6_Y;
  }
  return undefined;
}

/** Whole-list check for fences, as AC_PolyFence_loader validates a finished upload. */
export function checkFenceList(items: readonly StoredItem[]): boolean {
  for (let i = 0; i < items.length; ) {
    const it = items[i]!;
    if (it.command === Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION || it.command === Cmd.NAV_FENCE_POLYGON_VERTEX_EXCLUSION) {
      const n = Math.round(it.param1);
      if (n < 3 || i + n > items.length) return false;
      for (let k = 1; k < n; k++) {
        const v = items[i + k]!;
        if (v.command !== it.command || Math.round(v.param1) !== n) return false;
      }
      i += n;
    } else {
      if ((it.command === Cmd.NAV_FENCE_CIRCLE_INCLUSION || it.command === Cmd.NAV_FENCE_CIRCLE_EXCLUSION) && !(it.param1 > 0)) return false;
      i++;
    }
  }
  return true;
}

/**
 * The three lists an autopilot keeps. On ArduPilot (`hasHome`) mission item 0 is always
 * home (filled in on download); PX4's mission is the uploaded items alone.
 */
export class MissionStore {
  private readonly lists: [StoredItem[], StoredItem[], StoredItem[]] = [[], [], []];
  /** Bumped on every change, so the executor and fence notice a new upload. */
  version = 0;

  constructor(readonly capacity: number, readonly hasHome = true) {}

  /** Index of the first item a mission runs (1 after ArduPilot's home, else 0). */
  get firstSeq(): number {
    return this.hasHome ? 1 : 0;
  }

  items(type: number): readonly StoredItem[] {
    return this.lists[type as MissionTypeNumber] ?? [];
  }

  replace(type: number, items: StoredItem[]): void {
    this.lists[type as MissionTypeNumber] = items;
    this.version++;
  }

  clear(type: number): void {
    this.replace(type, []);
  }

  /** Count as MISSION_COUNT reports it: ArduPilot's missions always include home at 0. */
  count(type: number): number {
    const n = this.items(type).length;
    return type === MissionType.MISSION && this.hasHome ? Math.max(1, n) : n;
  }
}
