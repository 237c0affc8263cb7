import { common } from 'node-mavlink';
import { isPositional } from './autopilot-encoding.ts';
import type { PlanItem } from './plan-item.ts';

/**
 * Read-back comparison by meaning, not by encoding. Autopilots store items in their own
 * form and return them re-encoded: ArduCopter answers a GLOBAL_RELATIVE_ALT_INT (6) NAV
 * item as GLOBAL_RELATIVE_ALT (3) and a MISSION-frame (2) DO_* item as frame 0, drops the
 * parameters a command does not use (NaN yaw comes back 0) and keeps a waypoint's hold
 * time in whole seconds. So two items are the same when they are the same command, in an
 * equivalent altitude reference, with equal values in the fields that command uses. Pure.
 */

const F = common.MavFrame;

/** Altitude reference of a positional frame; float and int variants are one reference. */
function altitudeReference(frame: number): string {
  switch (frame) {
    case F.GLOBAL:
    case F.GLOBAL_INT:
      return 'amsl';
    case F.GLOBAL_RELATIVE_ALT:
    case F.GLOBAL_RELATIVE_ALT_INT:
      return 'relative';
    case F.GLOBAL_TERRAIN_ALT:
    case F.GLOBAL_TERRAIN_ALT_INT:
      return 'terrain';
    default:
      return `frame-${frame}`;
  }
}

type Field = 'param1' | 'param2' | 'param3' | 'param4' | 'x' | 'y' | 'z';

/** Tolerances: floats went through float32; x/y are degE7 (100 ≈ 1 m); z metres. */
const TOL: Record<Field, number> = { param1: 1e-3, param2: 1e-3, param3: 1e-3, param4: 1e-3, x: 100, y: 100, z: 0.02 };

/** The fields each command uses; commands not listed compare every field. */
const USED: Record<number, { fields: Field[]; tol?: Partial<Record<Field, number>> }> = {
  // ArduCopter keeps the hold time (param1) in whole seconds and drops param2-4.
  [common.MavCmd.NAV_WAYPOINT]: { fields: ['param1', 'x', 'y', 'z'], tol: { param1: 0.5 } },
  // A copter climbs where it stands: only the altitude of a take-off item matters.
  [common.MavCmd.NAV_TAKEOFF]: { fields: ['z'] },
  // ArduCopter keeps the time (param1) in whole seconds and returns param3 as the loiter
  // direction (±1) whatever radius was sent; a copter flies no radius.
  [common.MavCmd.NAV_LOITER_TIME]: { fields: ['param1', 'x', 'y', 'z'], tol: { param1: 0.5 } },
  [common.MavCmd.NAV_LAND]: { fields: ['x', 'y'] },
  [common.MavCmd.NAV_RETURN_TO_LAUNCH]: { fields: [] },
  // param1 speed type, param2 speed; ArduPilot and PX4 both keep them.
  [common.MavCmd.DO_CHANGE_SPEED]: { fields: ['param1', 'param2'] },
  // param1 target sequence, param2 repeat count (integers).
  [common.MavCmd.DO_JUMP]: { fields: ['param1', 'param2'], tol: { param1: 0.5, param2: 0.5 } },
  [common.MavCmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION]: { fields: ['param1', 'x', 'y'], tol: { param1: 0.5 } },
  [common.MavCmd.NAV_FENCE_POLYGON_VERTEX_EXCLUSION]: { fields: ['param1', 'x', 'y'], tol: { param1: 0.5 } },
  [common.MavCmd.NAV_FENCE_CIRCLE_INCLUSION]: { fields: ['param1', 'x', 'y'], tol: { param1: 0.5 } },
  [common.MavCmd.NAV_FENCE_CIRCLE_EXCLUSION]: { fields: ['param1', 'x', 'y'], tol: { param1: 0.5 } },
  [common.MavCmd.NAV_RALLY_POINT]: { fields: ['x', 'y', 'z'] },
};

const ALL: Field[] = ['param1', 'param2', 'param3', 'param4', 'x', 'y', 'z'];

/** NaN ("unset", e.g. yaw) and 0 are the same to an autopilot that stores unset as 0. */
const num = (v: number) => (Number.isNaN(v) ? 0 : v);

/** Why `got` does not mean `sent`, or undefined when it does. */
export function itemDifference(sent: PlanItem, got: PlanItem): string | undefined {
  if (sent.command !== got.command) return `command ${got.command}, sent ${sent.command}`;
  const usesZ = (USED[sent.command]?.fields ?? ALL).includes('z');
  // Only positional items with an altitude carry a meaningful frame; a DO_* item's frame
  // (0 or 2) and a fence vertex's (no altitude) say nothing.
  if (isPositional(sent.command) && usesZ && altitudeReference(sent.frame) !== altitudeReference(got.frame)) {
    return `frame ${got.frame}, sent ${sent.frame}`;
  }
  const spec = USED[sent.command] ?? { fields: ALL };
  for (const f of spec.fields) {
    const tol = spec.tol?.[f] ?? TOL[f];
    if (Math.abs(num(sent[f]) - num(got[f])) > tol) return `${f} ${got[f]}, sent ${sent[f]}`;
  }
  return undefined;
}

export function sameMeaning(sent: PlanItem, got: PlanItem): boolean {
  return itemDifference(sent, got) === undefined;
}

/** The first item that differs in meaning, or undefined when the plans match. */
export function firstMismatch(sent: PlanItem[], got: PlanItem[]): { index: number; why: string } | undefined {
  const n = Math.max(sent.length, got.length);
  for (let i = 0; i < n; i++) {
    const a = sent[i];
    const b = got[i];
    if (!a || !b) return { index: i, why: `read back ${got.length} items, sent ${sent.length}` };
    const why = itemDifference(a, b);
    if (why) return { index: i, why };
  }
  return undefined;
}
