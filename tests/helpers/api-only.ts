import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../control/api/app.ts';
import { AuditLog } from '../../control/api/audit-log.ts';
import { SessionStore } from '../../control/api/sessions.ts';
import { EventHub } from '../../control/live/event-hub.ts';
import { WarningLibrary } from '../../control/ops/warning-library.ts';
import type { Clock } from '../../control/timeouts.ts';
import type { Site } from '../../site/load.ts';

export interface ApiOnly {
  app: FastifyInstance;
  audit: AuditLog;
  hub: EventHub;
  dataDir: string;
  /** Closes the app, the hub and the audit log, and deletes the data dir. */
  close(): Promise<void>;
}

/**
 * The HTTP API with no control service behind it: sessions (1 h, 10 min idle, 3 failures
 * a minute), an audit log and the warning library on a fresh data dir. Always `close()` it.
 */
export async function buildApiOnly(site: Site, clock: Clock, dataDirPrefix: string): Promise<ApiOnly> {
  const dataDir = mkdtempSync(join(tmpdir(), dataDirPrefix));
  const audit = await AuditLog.open({ dataDir, clock });
  const hub = new EventHub(10);
  const app = await buildApi({
    site,
    clock,
    sessions: new SessionStore(site.users, clock, { maxAgeMs: 3600_000, idleMs: 600_000, maxFailures: 3, failureWindowMs: 60_000 }),
    audit,
    warnings: new WarningLibrary(site.warnings, dataDir),
    hub,
  });
  return {
    app,
    audit,
    hub,
    dataDir,
    async close() {
      await app.close();
      hub.close();
      await audit.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
