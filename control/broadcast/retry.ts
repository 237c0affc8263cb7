import type { LedgerRecord } from '../ledger/machine.ts';

/** When a speaker that never answered its play command gets another one. */
export interface PlayRetryPolicy {
  /** Play commands per speaker per broadcast, the first included (1: never retry). */
  maxAttempts: number;
  /**
   * A retry is sent only while at least this much of the broadcast's validity is left:
   * a speaker ignores a play whose `expiresAtMs` has passed (a late warning is a wrong
   * warning), so a retry that cannot arrive in time would only add a second no_answer.
   */
  minRemainingMs: number;
}

export const DEFAULT_PLAY_RETRY: PlayRetryPolicy = { maxAttempts: 10, minRemainingMs: 1_000 };

export type RetryDecision = { retry: true } | { retry: false; why: string };

/**
 * Whether the play command in `record` should be sent again as a new command. Pure.
 *
 * Only silence is retried: a play that timed out without any answer from the speaker
 * (never `acked`), which is what a broker restart or a speaker reconnecting without its
 * session looks like. A speaker that answered — accepted, played, refused, failed — has
 * spoken for itself, and one that accepted and then went quiet may be playing already, so
 * a second play would make it `rejected` as busy or speak the warning twice.
 */
export function retryDecision(
  record: Pick<LedgerRecord, 'state' | 'transitions'>,
  c: { nowMs: number; expiresAtMs: number; attempts: number; stopped: boolean },
  policy: PlayRetryPolicy,
): RetryDecision {
  if (record.state !== 'timed_out') return { retry: false, why: `settled as ${record.state}` };
  if (record.transitions.some((t) => t.state === 'acked' || t.state === 'in_progress')) return { retry: false, why: 'the speaker answered before going silent' };
  if (c.stopped) return { retry: false, why: 'the broadcast was stopped' };
  if (c.attempts >= policy.maxAttempts) return { retry: false, why: `${c.attempts} attempts made` };
  const leftMs = c.expiresAtMs - c.nowMs;
  if (leftMs < policy.minRemainingMs) return { retry: false, why: `validity ends in ${Math.max(0, leftMs)} ms` };
  return { retry: true };
}
