/**
 * Who may try a password now, decided before the (slow, awaited) hash check and
 * counted at that moment, so parallel guesses cannot all slip in between a read and a
 * write of the failure count. Pure: no I/O, the clock is passed in.
 *
 * Three counters, each over a sliding window:
 * - per (username, source address): after `maxFailuresPerUserSource` failures that
 *   pair is locked for the window. A stranger guessing the chief's password locks
 *   only their own address out of the chief's account, never the chief's desk.
 * - per source address, whatever the username: after `freeFailuresPerSource` the
 *   source must wait before each further try, the wait doubling per failure up to
 *   `maxDelayMs` (spraying many usernames from one host gets slower and slower).
 * - per username, across sources: after `maxFailuresPerUser` (a distributed guess)
 *   the account accepts tries only from trusted sources — configured addresses and
 *   the addresses this user last logged in from successfully.
 * A success clears the pair and the source's counters and remembers the source.
 */
export interface LoginThrottleOptions {
  windowMs: number;
  maxFailuresPerUserSource: number;
  freeFailuresPerSource: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxFailuresPerUser: number;
  /** Addresses always allowed to try (e.g. the console's own host). Loopback always is. */
  trustedSources: readonly string[];
  /** Bound on tracked keys per counter, so a spray of addresses cannot grow memory without limit. */
  maxTracked: number;
  /** Remembered good sources per user. */
  knownSourcesPerUser: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleOptions = {
  windowMs: 15 * 60_000,
  maxFailuresPerUserSource: 5,
  freeFailuresPerSource: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 15 * 60_000,
  maxFailuresPerUser: 20,
  trustedSources: [],
  maxTracked: 10_000,
  knownSourcesPerUser: 8,
};

export type ThrottleDecision =
  | { allow: true; attempt: LoginAttempt }
  | { allow: false; reason: 'user_source_locked' | 'source_throttled' | 'user_locked_untrusted'; retryAfterMs: number };

/** A try in flight: already counted as a failure until it is reported as a success. */
export interface LoginAttempt {
  succeeded(): void;
  failed(): void;
}

interface SourceState {
  failures: number[];
  nextAllowedMs: number;
}

const isLoopback = (a: string) => a === '::1' || a.startsWith('127.') || a.startsWith('::ffff:127.');

export class LoginThrottle {
  private readonly pair = new Map<string, number[]>();
  private readonly source = new Map<string, SourceState>();
  private readonly user = new Map<string, number[]>();
  private readonly known = new Map<string, string[]>();

  constructor(private readonly o: LoginThrottleOptions = DEFAULT_LOGIN_THROTTLE) {}

  /** Decides and, if allowed, counts the try at once (synchronously). */
  begin(username: string, sourceAddr: string, nowMs: number): ThrottleDecision {
    const pairKey = `${username}\u0000${sourceAddr}`;
    const pairFails = this.recent(this.pair.get(pairKey), nowMs);
    if (pairFails.length >= this.o.maxFailuresPerUserSource) {
      return { allow: false, reason: 'user_source_locked', retryAfterMs: pairFails[0]! + this.o.windowMs - nowMs };
    }
    const src = this.source.get(sourceAddr) ?? { failures: [], nextAllowedMs: 0 };
    src.failures = this.recent(src.failures, nowMs);
    if (nowMs < src.nextAllowedMs) return { allow: false, reason: 'source_throttled', retryAfterMs: src.nextAllowedMs - nowMs };
    const userFails = this.recent(this.user.get(username), nowMs);
    if (userFails.length >= this.o.maxFailuresPerUser && !this.trusted(username, sourceAddr)) {
      return { allow: false, reason: 'user_locked_untrusted', retryAfterMs: userFails[0]! + this.o.windowMs - nowMs };
    }

    // Count now, before the caller awaits the hash; undo on success.
    pairFails.push(nowMs);
    src.failures.push(nowMs);
    userFails.push(nowMs);
    const over = src.failures.length - this.o.freeFailuresPerSource;
    if (over > 0) src.nextAllowedMs = nowMs + Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** Math.min(over - 1, 30));
    this.put(this.pair, pairKey, pairFails);
    this.put(this.source, sourceAddr, src);
    this.put(this.user, username, userFails);

    let settled = false;
    return {
      allow: true,
      attempt: {
        succeeded: () => {
          if (settled) return;
          settled = true;
          this.pair.delete(pairKey);
          this.source.delete(sourceAddr);
          // The user's cross-source count keeps other sources' failures: only this try is undone.
          const u = this.user.get(username);
          const i = u?.lastIndexOf(nowMs) ?? -1;
          if (u && i >= 0) u.splice(i, 1);
          const k = (this.known.get(username) ?? []).filter((s) => s !== sourceAddr);
          k.push(sourceAddr);
          this.put(this.known, username, k.slice(-this.o.knownSourcesPerUser));
        },
        failed: () => {
          settled = true;
        },
      },
    };
  }

  private trusted(username: string, sourceAddr: string): boolean {
    return isLoopback(sourceAddr) || this.o.trustedSources.includes(sourceAddr) || (this.known.get(username) ?? []).includes(sourceAddr);
  }

  private recent(times: number[] | undefined, nowMs: number): number[] {
    return (times ?? []).filter((t) => nowMs - t < this.o.windowMs);
  }

  /** Sets a key, evicting the oldest keys past the bound (Maps iterate in insertion order). */
  private put<V>(m: Map<string, V>, key: string, value: V): void {
    m.delete(key);
    m.set(key, value);
    while (m.size > this.o.maxTracked) m.delete(m.keys().next().value!);
  }
}
