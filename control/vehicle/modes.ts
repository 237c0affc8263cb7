/**
 * Flight-mode tables. ArduPilot Copter puts a mode number in HEARTBEAT.custom_mode;
 * PX4 packs main mode in bits 16-23 and sub mode in bits 24-31 (px4_custom_mode.h).
 * Pure: no I/O.
 */
export type Autopilot = 'ardupilot' | 'px4';

export const COPTER_MODES: Record<number, string> = {
  0: 'STABILIZE', 1: 'ACRO', 2: 'ALT_HOLD', 3: 'AUTO', 4: 'GUIDED', 5: 'LOITER', 6: 'RTL', 7: 'CIRCLE',
  9: 'LAND', 11: 'DRIFT', 13: 'SPORT', 14: 'FLIP', 15: 'AUTOTUNE', 16: 'POSHOLD', 17: 'BRAKE', 18: 'THROW',
  19: 'AVOID_ADSB', 20: 'GUIDED_NOGPS', 21: 'SMART_RTL', 22: 'FLOWHOLD', 23: 'FOLLOW', 24: 'ZIGZAG',
  25: 'SYSTEMID', 26: 'AUTOROTATE', 27: 'AUTO_RTL',
};

const PX4_MAIN: Record<number, string> = {
  1: 'MANUAL', 2: 'ALTCTL', 3: 'POSCTL', 4: 'AUTO', 5: 'ACRO', 6: 'OFFBOARD', 7: 'STABILIZED', 8: 'RATTITUDE',
};
const PX4_AUTO_SUB: Record<number, string> = {
  1: 'READY', 2: 'TAKEOFF', 3: 'LOITER', 4: 'MISSION', 5: 'RTL', 6: 'LAND', 7: 'RTGS', 8: 'FOLLOW_TARGET', 9: 'PRECLAND',
};
const PX4_AUTO_MAIN = 4;

/**
 * Generic names callers may use whatever the autopilot: on PX4 "GUIDED" is Hold
 * (AUTO.LOITER, where reposition commands act) and "AUTO" is AUTO.MISSION.
 */
const PX4_ALIASES: Record<string, string> = {
  GUIDED: 'AUTO.LOITER', LOITER: 'AUTO.LOITER', AUTO: 'AUTO.MISSION', RTL: 'AUTO.RTL', LAND: 'AUTO.LAND',
  TAKEOFF: 'AUTO.TAKEOFF', HOLD: 'AUTO.LOITER', MISSION: 'AUTO.MISSION',
};

/** HEARTBEAT.custom_mode → mode name; unknown numbers become `MODE_<n>` rather than failing. */
export function modeName(autopilot: Autopilot, customMode: number): string {
  if (autopilot === 'ardupilot') return COPTER_MODES[customMode] ?? `MODE_${customMode}`;
  const main = (customMode >>> 16) & 0xff;
  const sub = (customMode >>> 24) & 0xff;
  const mainName = PX4_MAIN[main];
  if (!mainName) return `MODE_${customMode}`;
  if (main === PX4_AUTO_MAIN) return `AUTO.${PX4_AUTO_SUB[sub] ?? String(sub)}`;
  return mainName;
}

/** What DO_SET_MODE needs: param2 (custom mode or PX4 main mode) and param3 (PX4 sub mode). */
export interface ModeEncoding {
  customMode: number;
  param2: number;
  param3: number;
}

/** Mode name → encoding, or undefined when the autopilot has no such mode. */
export function encodeMode(autopilot: Autopilot, name: string): ModeEncoding | undefined {
  const upper = name.trim().toUpperCase();
  if (autopilot === 'ardupilot') {
    for (const [num, n] of Object.entries(COPTER_MODES)) {
      if (n === upper) return { customMode: Number(num), param2: Number(num), param3: 0 };
    }
    return undefined;
  }
  const px4Name = PX4_ALIASES[upper] ?? upper;
  const [mainName, subName] = px4Name.split('.') as [string, string | undefined];
  const main = Object.entries(PX4_MAIN).find(([, n]) => n === mainName)?.[0];
  if (main === undefined) return undefined;
  let sub = 0;
  if (Number(main) === PX4_AUTO_MAIN) {
    const s = Object.entries(PX4_AUTO_SUB).find(([, n]) => n === subName)?.[0];
    if (s === undefined) return undefined;
    sub = Number(s);
  } else if (subName !== undefined) return undefined;
  return { customMode: ((sub << 24) | (Number(main) << 16)) >>> 0, param2: Number(main), param3: sub };
}

/** Two names for the same mode on this autopilot (e.g. PX4 "GUIDED" and "AUTO.LOITER"). */
export function sameMode(autopilot: Autopilot, a: string, b: string): boolean {
  const ea = encodeMode(autopilot, a);
  const eb = encodeMode(autopilot, b);
  return ea !== undefined && eb !== undefined && ea.customMode === eb.customMode;
}
