import { randomBytes } from 'node:crypto';
import type { Role, User } from '../../site/schema.ts';
import { verifySecretAsync } from '../../site/secrets.ts';
import type { Clock } from '../timeouts.ts';

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
  /** Failed logins allowed per username within the window before logins are refused. */
  maxFailures: number;
  failureWindowMs: number;
}

export const DEFAULT_SESSION_OPTIONS: SessionOptions = {
  maxAgeMs: 12 * 3600_000,
  idleMs: 60 * 60_000,
  maxFailures: 5,
  failureWindowMs: 5 * 60_000,
};

export type LoginResult =
  | { ok: true; token: string; user: SessionUser; expiresAtMs: number }
  | { ok: false; reason: 'bad_credentials' | 'locked' };

interface Session {
  user: SessionUser;
  createdAtMs: number;
  lastSeenMs: number;
}

/**
 * Logins against the site's users (scrypt hashes) and opaque random session tokens.
 * Tokens live only in memory: a restart logs everyone out, which is acceptable for a
 * console and avoids storing bearer secrets on disk. Repeated failures lock the
 * username for the window, so a password cannot be guessed at HTTP speed.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly users: readonly User[],
    private readonly clock: Clock,
    private readonly opts: SessionOptions = DEFAULT_SESSION_OPTIONS,
  ) {}

  async login(username: string, password: string): Promise<LoginResult> {
    const now = this.clock.nowMs();
    const recent = (this.failures.get(username) ?? []).filter((t) => now - t < this.opts.failureWindowMs);
    if (recent.length >= this.opts.maxFailures) return { ok: false, reason: 'locked' };
    const user = this.users.find((u) => u.username === username);
    // Hash even for unknown users so timing does not reveal which usernames exist.
    const ok = await verifySecretAsync(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) {
      recent.push(now);
      this.failures.set(username, recent);
      return { ok: false, reason: 'bad_credentials' };
    }
    this.failures.delete(username);
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
