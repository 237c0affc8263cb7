import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadSite } from '../../site/load.ts';
import { buildApi } from '../../control/api/app.ts';
import { SessionStore } from '../../control/api/sessions.ts';
import { AuditLog } from '../../control/api/audit-log.ts';
import { EventHub } from '../../control/live/event-hub.ts';
import { WarningLibrary } from '../../control/ops/warning-library.ts';

/**
 * Typed edges (issue 13 item 7): every API route states what it answers, so the OpenAPI
 * document is complete and fastify serialises by schema. Walks the routes the API
 * registers (all of them, whatever parts run: a missing part answers 503 at call time).
 */
const site = loadSite('sites/demo.yaml');
const clock = { nowMs: () => 1_800_000_000_000 };
let app: FastifyInstance;
let audit: AuditLog;
let hub: EventHub;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'rw-contract-'));
  audit = await AuditLog.open({ dataDir, clock });
  hub = new EventHub(10);
  app = await buildApi({
    site,
    clock,
    sessions: new SessionStore(site.users, clock, { maxAgeMs: 3600_000, idleMs: 600_000, maxFailures: 3, failureWindowMs: 60_000 }),
    audit,
    warnings: new WarningLibrary(site.warnings, dataDir),
    hub,
  });
}, 60_000);

afterAll(async () => {
  await app?.close();
  hub?.close();
  await audit?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('route contract', () => {
  it('walks every API route', () => {
    // A guard on the guard: an empty table would pass the next test vacuously.
    const documented = app.routePermissions.filter((r) => !r.hidden);
    expect(documented.length).toBeGreaterThanOrEqual(30);
  });

  it('every documented route declares a response schema', () => {
    const missing = app.routePermissions.filter((r) => !r.hidden && !r.responseSchema).map((r) => `${r.method} ${r.url}`);
    expect(missing).toEqual([]);
  });
});
