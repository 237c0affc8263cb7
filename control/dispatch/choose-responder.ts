import type { Xy } from '../geo/local-frame.ts';
import { etaS, type ReachOptions, type ResponderState } from '../coverage/reach.ts';

/** What a drone is doing now, and how much that task matters (0-100). */
export type DroneTask =
  | { kind: 'docked' }
  | { kind: 'patrol'; ringId: string }
  | { kind: 'returning' }
  /** In the air under an operator's direct commands (take-off, goto) rather than a task of ours. */
  | { kind: 'manual' }
  | { kind: 'alarm'; alarmId: string; priority: number };

export interface Candidate extends ResponderState {
  task: DroneTask;
}

export interface DispatchRules extends ReachOptions {
  /**
   * Seconds of ETA a patrol drone must gain over a docked one before it is pulled off
   * its loop: leaving a ring's slot has a cost the ETA does not show.
   */
  patrolPenaltyS: number;
}

export const DEFAULT_DISPATCH_RULES: DispatchRules = { launchS: 30, onSceneS: 120, patrolPenaltyS: 20 };

export type Ranked =
  | { droneId: string; eligible: true; etaS: number; scoreS: number; task: DroneTask['kind']; tier?: number; takesFromAlarmId?: string }
  | { droneId: string; eligible: false; reason: 'unavailable' | 'busy_with_higher_priority' | 'battery' | 'ring_minimum'; detail?: string };

/** What the choice weighs besides the ETA (issue 14 item 4). */
export interface RankContext {
  /** The alarm ring's response target: drones that make it are preferred, docked ones first. */
  targetS: number;
  /**
   * Why taking this drone would leave its patrol ring below its minimum, if it would.
   * Such a drone is only eligible with the operator's `confirm`.
   */
  ringShortfall?: (droneId: string) => string | undefined;
  confirm?: boolean;
}

/**
 * Ranks every drone for an alarm at `target` with the given priority. The best is the
 * eligible drone with the lowest score: ETA, plus a penalty for abandoning a patrol.
 * A drone on another alarm of equal or higher priority is never taken; one with enough
 * battery to get there, stay `onSceneS` and still reach its dock with its reserve is.
 * Ineligible drones are listed with the reason, so an operator sees why not.
 */
export function rankResponders(target: Xy, priority: number, candidates: Candidate[], rules: DispatchRules = DEFAULT_DISPATCH_RULES, ctx?: RankContext): Ranked[] {
  const ranked = candidates.map((c): Ranked => {
    if (!c.available) return { droneId: c.id, eligible: false, reason: 'unavailable' };
    if (c.task.kind === 'alarm' && c.task.priority >= priority) return { droneId: c.id, eligible: false, reason: 'busy_with_higher_priority' };
    const eta = etaS(c, target, rules);
    if (!Number.isFinite(eta)) return { droneId: c.id, eligible: false, reason: 'battery' };
    const short = c.task.kind === 'patrol' ? ctx?.ringShortfall?.(c.id) : undefined;
    if (short && !ctx?.confirm) return { droneId: c.id, eligible: false, reason: 'ring_minimum', detail: short };
    const scoreS = eta + (c.task.kind === 'patrol' ? rules.patrolPenaltyS : 0);
    const r: Ranked = { droneId: c.id, eligible: true, etaS: eta, scoreS, task: c.task.kind };
    if (c.task.kind === 'alarm') r.takesFromAlarmId = c.task.alarmId;
    if (ctx) r.tier = tierOf(c, eta, ctx.targetS);
    return r;
  });
  return ranked.sort((a, b) => {
    if (a.eligible !== b.eligible) return a.eligible ? -1 : 1;
    if (a.eligible && b.eligible) return (a.tier ?? 0) - (b.tier ?? 0) || a.scoreS - b.scoreS || a.droneId.localeCompare(b.droneId);
    return a.droneId.localeCompare(b.droneId);
  });
}

/**
 * The coverage hole a responder leaves, as an order of preference: a docked drone that
 * makes the target leaves no hole in any ring's patrol; a drone already in the air with
 * nothing to do (manual, returning) next; a patrol drone leaves its loop a slot short;
 * the responder of another (lower-priority) alarm leaves that alarm without a drone. Any
 * drone that misses the target comes after every one that makes it, by score alone.
 */
function tierOf(c: Candidate, eta: number, targetS: number): number {
  const base = c.task.kind === 'docked' ? 0 : c.task.kind === 'patrol' ? 2 : c.task.kind === 'alarm' ? 3 : 1;
  return eta <= targetS ? base : 10;
}
