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
  | { droneId: string; eligible: true; etaS: number; scoreS: number; task: DroneTask['kind'] }
  | { droneId: string; eligible: false; reason: 'unavailable' | 'busy_with_higher_priority' | 'battery' };

/**
 * Ranks every drone for an alarm at `target` with the given priority. The best is the
 * eligible drone with the lowest score: ETA, plus a penalty for abandoning a patrol.
 * A drone on another alarm of equal or higher priority is never taken; one with enough
 * battery to get there, stay `onSceneS` and still reach its dock with its reserve is.
 * Ineligible drones are listed with the reason, so an operator sees why not.
 */
export function rankResponders(target: Xy, priority: number, candidates: Candidate[], rules: DispatchRules = DEFAULT_DISPATCH_RULES): Ranked[] {
  const ranked = candidates.map((c): Ranked => {
    if (!c.available) return { droneId: c.id, eligible: false, reason: 'unavailable' };
    if (c.task.kind === 'alarm' && c.task.priority >= priority) return { droneId: c.id, eligible: false, reason: 'busy_with_higher_priority' };
    const eta = etaS(c, target, rules);
    if (!Number.isFinite(eta)) return { droneId: c.id, eligible: false, reason: 'battery' };
    const scoreS = eta + (c.task.kind === 'patrol' ? rules.patrolPenaltyS : 0);
    return { droneId: c.id, eligible: true, etaS: eta, scoreS, task: c.task.kind };
  });
  return ranked.sort((a, b) => {
    if (a.eligible !== b.eligible) return a.eligible ? -1 : 1;
    if (a.eligible && b.eligible) return a.scoreS - b.scoreS || a.droneId.localeCompare(b.droneId);
    return a.droneId.localeCompare(b.droneId);
  });
}
