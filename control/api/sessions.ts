import { randomBytes } from 'node:crypto';
import type { Role, User } from '../../site/schema.ts';
import { verifySecretAsync } from '../../site/secrets.ts';
import type { Clock } from '../timeouts.ts';
import { DEFAULT_LOGIN_THROTTLE, LoginThrottle, type LoginThrottleOptions } from '../auth/login-throttle.ts';

export interface SessionUser {
  username: string;
  displayName: string;
  role: Role;
}

export interface SessionOptions {
  /** A session ends this long after login, whatever happens. */
  maxAgeMs: number;
  /** …or after this long without a request. */
  idleMs: number;
  /** Failed logins allowed per (username, source address) within the window before that pair is locked. */
  maxFailures: number;
  failureWindowMs: number;
  /** The rest of the login throttle (per-source delays, per-user limit, trusted sources); see control/auth/login-throttle.ts. */
  throttle?: Partial<Omit<LoginThrottleOptions, 'windowMs' | 'maxFailuresPerUserSource'>>;
}

export const DEFAULT_SESSION_OPTIONS: SessionOptions = {
  maxAgeMs: 12 * 3600_000,
  idleMs: 60 * 60_000,
  maxFailures: 5,
  failureWindowMs: 5 * 60_000,
};

export type LoginResult =
  | { ok: true; token: string; user: SessionUser; expiresAtMs: number }
  | { ok: false; reason: 'bad_credentials' }
  | { ok: false; reason: 'locked'; retryAfterMs: number };

interface Session {
  user: SessionUser;
  createdAtMs: number;
  lastSeenMs: number;
}

/**
 * Logins against the site's users (scrypt hashes) and opaque random session tokens.
 * Tokens live only in memory: a restart logs everyone out, which is acceptable for a
 * console and avoids storing bearer secrets on disk. Failures are throttled per
 * (username, source), per source and per username (control/auth/login-throttle.ts),
 * counted before the hash check so parallel guesses cannot all be checked.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly throttle: LoginThrottle;

  constructor(
    private readonly users: readonly User[],
    private readonly clock: Clock,
    private readonly opts: SessionOptions = DEFAULT_SESSION_OPTIONS,
  ) {
    this.throttle = new LoginThrottle({ ...DEFAULT_LOGIN_THROTTLE, ...opts.throttle, windowMs: opts.failureWindowMs, maxFailuresPerUserSource: opts.maxFailures });
  }

  /** Checks a password; `source` is the client's address, for the throttle. */
  async login(username: string, password: string, source = 'unknown'): Promise<LoginResult> {
    const now = this.clock.nowMs();
    const decision = this.throttle.begin(username, source, now);
    if (!decision.allow) return { ok: false, reason: 'locked', retryAfterMs: Math.max(0, decision.retryAfterMs) };
    const user = this.users.find((u) => u.username === username);
    // Hash even for unknown users so timing does not reveal which usernames exist.
    const ok = await verifySecretAsync(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) {
      decision.attempt.failed();
      return { ok: false, reason: 'bad_credentials' };
    }
    decision.attempt.succeeded();
    const token = randomBytes(32).toString('base64url');
    const s: Session = { user: { username: user.username, displayName: user.displayName, role: user.role }, createdAtMs: now, lastSeenMs: now };
    this.sessions.set(token, s);
    return { ok: true, token, user: s.user, expiresAtMs: now + this.opts.maxAgeMs };
  }

  /** The session's user, refreshing its idle timer; undefined when unknown or expired. */
  touch(token: string): SessionUser | undefined {
    const s = this.sessions.get(token);
    if (!s) return undefined;
    const now = this.clock.nowMs();
    if (now - s.createdAtMs > this.opts.maxAgeMs || now - s.lastSeenMs > this.opts.idleMs) {
      this.sessions.delete(token);
      return undefined;
    }
    s.lastSeenMs = now;
    return s.user;
  }

  logout(token: string): void {
    this.sessions.delete(token);
  }
}

// scrypt of a random string: verifying against it costs what a real check costs.
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
