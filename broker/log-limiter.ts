import type { Logger } from 'pino';

/**
 * Logs at most one line per key (client id) per window; the next line reports how many
 * were suppressed. A misbehaving device sending 10,000 bad payloads a second must not
 * turn the broker's log into the bottleneck.
 */
export class RateLimitedLog {
  private readonly last = new Map<string, { atMs: number; suppressed: number }>();

  constructor(
    private readonly log: Logger,
    private readonly windowMs: number,
    private readonly nowMs: () => number = Date.now,
  ) {}

  warn(key: string, fields: Record<string, unknown>, msg: string): void {
    const now = this.nowMs();
    const entry = this.last.get(key);
    if (entry && now - entry.atMs < this.windowMs) {
      entry.suppressed++;
      return;
    }
    const suppressed = entry?.suppressed ?? 0;
    this.last.set(key, { atMs: now, suppressed: 0 });
    this.log.warn(suppressed > 0 ? { ...fields, suppressed } : fields, msg);
  }

  forget(key: string): void {
    this.last.delete(key);
  }
}
