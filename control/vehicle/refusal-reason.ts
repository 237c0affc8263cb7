import { common } from 'node-mavlink';
import { COPTER_MODES } from './modes.ts';

/**
 * Which autopilot STATUSTEXTs explain the refusal of which command. Both autopilots send
 * COMMAND_ACK first and the reason after it (ArduPilot within milliseconds, PX4 ~880 ms
 * later), so the reason is looked for among the texts that follow the command, preferring
 * those that name what was refused. Pure.
 */

const MODE_WORDS = [...Object.values(COPTER_MODES), 'HOLD', 'POSCTL', 'ALTCTL', 'OFFBOARD', 'MISSION', 'TAKEOFF', 'RETURN']
  .map((m) => m.replace(/_/g, '[ _]?'))
  .join('|');

const C = common.MavCmd;
const PATTERNS = new Map<number, RegExp>([
  // ArduPilot "Arm: …", "PreArm: …"; PX4 "Arming denied: …", "Preflight Fail: …".
  [C.COMPONENT_ARM_DISARM, /^(pre ?arm|arm|arming|disarm|preflight)\b|arming denied|not armable|disarming denied/i],
  [C.NAV_TAKEOFF, /take ?off|not armed|disarmed/i],
  [C.DO_SET_MODE, new RegExp(`mode|switching|not available|requires|${MODE_WORDS}`, 'i')],
  [C.DO_REPOSITION, /reposition|guided|goto|go-to|frame invalid|fence|target|not available|mode/i],
  [C.DO_CHANGE_SPEED, /speed/i],
  [C.MISSION_START, /mission|auto|not armed|arming denied|pre ?arm|preflight/i],
  [C.NAV_LAND, /land/i],
  [C.NAV_RETURN_TO_LAUNCH, /rtl|return|home/i],
  [C.DO_ORBIT, /orbit/i],
]);

export function explainsRefusal(command: number, text: string): boolean {
  return PATTERNS.get(command)?.test(text) ?? false;
}

/**
 * Only NOTICE or worse can be a refusal's reason: PX4 SITL's INFO "Armed by external
 * command", which follows an accepted arm, once became the reason its MISSION_START was
 * denied because it arrived just after that command was sent.
 */
const REASON_SEVERITY_MAX = 5; // MAV_SEVERITY_NOTICE

export interface TimedText {
  severity: number;
  text: string;
  tsMs: number;
}

/**
 * The best reason among texts that arrived since the command was first sent: the first
 * that matches the command, else the first warning-or-worse text. Texts from before the
 * command are never used: they explain something else (an earlier upload, an old arm).
 */
export function pickRefusalReason(command: number, sentAtMs: number, texts: readonly TimedText[]): { text: string; matches: boolean } | undefined {
  const after = texts.filter((t) => t.tsMs >= sentAtMs && t.severity <= REASON_SEVERITY_MAX);
  const match = after.find((t) => explainsRefusal(command, t.text));
  if (match) return { text: match.text, matches: true };
  const warning = after.find((t) => t.severity <= 4); // MAV_SEVERITY_WARNING or worse
  return warning ? { text: warning.text, matches: false } : undefined;
}
