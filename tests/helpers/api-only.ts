import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApi, type ApiDeps } from '../../control/api/app.ts';
import { AuditLog } from '../../control/api/audit-log.ts';
import type { HttpServerOptions } from '../../control/api/http-options.ts';
import { SessionStore, type SessionOptions } from '../../control/api/sessions.ts';
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

export interface ApiOnlyOptions {
  /** Over 1 h sessions, 10 min idle, 3 failed logins a minute. */
  sessions?: Partial<SessionOptions>;
  deps?: Partial<ApiDeps>;
  http?: HttpServerOptions;
}

/**
 * The HTTP API with no control service behind it: sessions, an audit log and the warning
 * library on a fresh data dir (`dataDirPrefix`…). Not listening. Always `close()` it.
 */
export async function buildApiOnly(site: Site, clock: Clock, dataDirPrefix: string, o: ApiOnlyOptions = {}): Promise<ApiOnly> {
  const dataDir = mkdtempSync(join(tmpdir(), dataDirPrefix));
  const audit = await AuditLog.open({ dataDir, clock });
  const hub = new EventHub(10);
  const sessions = new SessionStore(site.users, clock, { maxAgeMs: 3600_000, idleMs: 600_000, maxFailures: 3, failureWindowMs: 60_000, ...o.sessions } as SessionOptions);
  const app = await buildApi({ site, clock, sessions, audit, warnings: new WarningLibrary(site.warnings, dataDir), hub, ...o.deps }, o.http);
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
