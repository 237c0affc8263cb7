import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../timeouts.ts';
import { redactSecrets } from './redact.ts';

/** One audited action: who did what, when, and how it ended. */
export interface AuditRecord {
  id: string;
  tsMs: number;
  username: string;
  role: string;
  /** `METHOD /route/pattern`, e.g. `POST /api/broadcasts`. */
  action: string;
  /** The concrete target (URL path with ids). */
  target: string;
  /** The request body with secrets and hashes redacted and long strings cut (redact.ts). */
  request?: unknown;
  outcome: 'ok' | 'refused' | 'failed';
  status: number;
  detail?: string;
}

/**
 * Audit trail: each record is appended to a JSONL file and fsynced before the HTTP
 * answer leaves, so an action the user saw succeed is on disk even if the process dies
 * right after; it is then handed to the sink (MQTT → InfluxDB) and kept in a bounded
 * in-memory window for the API.
 */
export class AuditLog {
  private file: FileHandle | undefined;
  private readonly recent: AuditRecord[] = [];
  private chain: Promise<void> = Promise.resolve();

  private constructor(
    private readonly clock: Clock,
    private readonly sink: ((r: AuditRecord) => void) | undefined,
    private readonly keepRecent: number,
  ) {}

  static async open(o: { dataDir?: string; clock: Clock; sink?: (r: AuditRecord) => void; keepRecent?: number }): Promise<AuditLog> {
    const log = new AuditLog(o.clock, o.sink, o.keepRecent ?? 5000);
    if (o.dataDir) {
      // Only the service's own user may read who did what (and the trail's remnants).
      mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
      log.file = await open(join(o.dataDir, 'audit.jsonl'), 'a', 0o600);
      await log.file.chmod(0o600);
    }
    return log;
  }

  /** Appends and syncs one record; resolves once it is durable. Writes are serialised. */
  record(r: Omit<AuditRecord, 'id' | 'tsMs'>): Promise<AuditRecord> {
    const full: AuditRecord = { id: randomUUID(), tsMs: this.clock.nowMs(), ...r, ...(r.request !== undefined ? { request: redactSecrets(r.request) } : {}) };
    const done = this.chain.then(async () => {
      if (this.file) {
        await this.file.appendFile(JSON.stringify(full) + '\n');
        await this.file.datasync();
      }
      this.recent.push(full);
      if (this.recent.length > this.keepRecent) this.recent.shift();
      this.sink?.(full);
    });
    this.chain = done.catch(() => undefined);
    return done.then(() => full);
  }

  list(filter: { sinceMs?: number; username?: string; limit?: number } = {}): AuditRecord[] {
    const out = this.recent.filter((r) => (filter.sinceMs === undefined || r.tsMs >= filter.sinceMs) && (!filter.username || r.username === filter.username));
    return out.slice(-(filter.limit ?? 500)).reverse();
  }

  async close(): Promise<void> {
    await this.chain;
    await this.file?.close();
    this.file = undefined;
  }
}
