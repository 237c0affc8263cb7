import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadSite } from '../../site/load.ts';
import { loadSecretsFile } from '../../site/secrets-file.ts';
import type { AuditRecord } from '../../control/api/audit-log.ts';
import type { EventHub } from '../../control/live/event-hub.ts';
import { WarningLibrary } from '../../control/ops/warning-library.ts';
import { buildApiOnly, type ApiOnly } from '../helpers/api-only.ts';
import { firstSseEvent } from '../helpers/sse.ts';
import type { LedgerRecord } from '../../control/ledger/machine.ts';

const site = loadSite('sites/demo.yaml');
const secrets = loadSecretsFile('sites/demo.secrets.yaml');
const password = (u: string) => secrets.users![u]!;

let app: FastifyInstance;
let dataDir: string;
let hub: EventHub;
let nowMs = 1_800_000_000_000;
const clock = { nowMs: () => nowMs };

let api: ApiOnly;
beforeEach(async () => {
  api = await buildApiOnly(site, clock, 'rw-api-');
  ({ app, hub, dataDir } = api);
});

afterEach(() => api.close());

async function login(username: string): Promise<string> {
  const r = await app.inject({ method: 'POST', url: '/api/login', payload: { username, password: password(username) } });
  expect(r.statusCode).toBe(200);
  return (r.json() as { token: string }).token;
}

const auditFile = (): AuditRecord[] =>
  readFileSync(join(dataDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditRecord);

describe('sessions', () => {
  it('logs in with the site users and answers /me by bearer token or cookie', async () => {
    const r = await app.inject({ method: 'POST', url: '/api/login', payload: { username: 'chief', password: password('chief') } });
    expect(r.statusCode).toBe(200);
    const body = r.json() as { token: string; user: unknown };
    expect(body.user).toEqual({ username: 'chief', displayName: 'Station Chief Zhao', role: 'chief' });
    const me = await app.inject({ url: '/api/me', headers: { authorization: `Bearer ${body.token}` } });
    expect(me.json()).toMatchObject({ role: 'chief' });
    const cookie = r.cookies.find((c) => c.name === 'rw_session')!;
    expect(cookie.httpOnly).toBe(true);
    const byCookie = await app.inject({ url: '/api/me', cookies: { rw_session: cookie.value } });
    expect(byCookie.statusCode).toBe(200);
  });

  it('refuses wrong passwords, locks after repeated failures, and audits every attempt', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await app.inject({ method: 'POST', url: '/api/login', payload: { username: 'operator', password: 'guess' } });
      expect(r.statusCode).toBe(401);
      expect(r.json()).toMatchObject({ code: 'API_ERR_BAD_LOGIN' });
    }
    const locked = await app.inject({ method: 'POST', url: '/api/login', payload: { username: 'operator', password: password('operator') } });
    expect(locked.statusCode).toBe(429);
    nowMs += 61_000;
    await login('operator');
    const outcomes = auditFile().filter((a) => a.action === 'POST /api/login').map((a) => `${a.username}:${a.outcome}:${a.status}`);
    expect(outcomes).toEqual(['operator:refused:401', 'operator:refused:401', 'operator:refused:401', 'operator:refused:429', 'operator:ok:200']);
  });

  it('expires idle sessions and ends them on logout', async () => {
    const token = await login('operator');
    nowMs += 601_000;
    expect((await app.inject({ url: '/api/me', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(401);
    const t2 = await login('operator');
    expect((await app.inject({ method: 'POST', url: '/api/logout', headers: { authorization: `Bearer ${t2}` } })).statusCode).toBe(204);
    expect((await app.inject({ url: '/api/me', headers: { authorization: `Bearer ${t2}` } })).statusCode).toBe(401);
  });

  it('needs a login for everything but login and the API description', async () => {
    expect((await app.inject({ url: '/api/site' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/api/openapi.json' })).statusCode).toBe(200);
  });
});

describe('warning library and roles', () => {
  const warning = { id: 'warn-fireworks-zh', title: '禁放烟花', lang: 'zh-CN', text: '此区域禁止燃放烟花爆竹，请立即停止。' };

  it('lets a chief add and retire a warning, and persists it', async () => {
    const token = await login('chief');
    const put = await app.inject({ method: 'PUT', url: `/api/warnings/${warning.id}`, headers: { authorization: `Bearer ${token}` }, payload: warning });
    expect(put.statusCode).toBe(201);
    expect(new WarningLibrary(site.warnings, dataDir).get(warning.id)).toEqual(warning);
    const del = await app.inject({ method: 'DELETE', url: `/api/warnings/${warning.id}`, headers: { authorization: `Bearer ${token}` } });
    expect(del.statusCode).toBe(204);
    expect(new WarningLibrary(site.warnings, dataDir).get(warning.id)).toBeUndefined();
  });

  it('refuses operators and engineers, and audits the refusal', async () => {
    for (const user of ['operator', 'engineer']) {
      const token = await login(user);
      const r = await app.inject({ method: 'PUT', url: `/api/warnings/${warning.id}`, headers: { authorization: `Bearer ${token}` }, payload: warning });
      expect(r.statusCode).toBe(403);
      expect(r.json()).toMatchObject({ code: 'API_ERR_FORBIDDEN', message: `role ${user} lacks permission warning.manage` });
    }
    const refused = auditFile().filter((a) => a.action === 'PUT /api/warnings/:id');
    expect(refused.map((a) => `${a.username}:${a.outcome}`)).toEqual(['operator:refused', 'engineer:refused']);
  });

  it('names the bad field of an invalid body and refuses to retire a ring default', async () => {
    const token = await login('chief');
    const bad = await app.inject({ method: 'PUT', url: `/api/warnings/${warning.id}`, headers: { authorization: `Bearer ${token}` }, payload: { ...warning, lang: 'fr' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/lang/);
    const inUse = await app.inject({ method: 'DELETE', url: '/api/warnings/warn-containment-zh', headers: { authorization: `Bearer ${token}` } });
    expect(inUse.statusCode).toBe(409);
    const rec = auditFile().at(-1)!;
    expect(rec).toMatchObject({ username: 'chief', outcome: 'failed', status: 409, target: '/api/warnings/warn-containment-zh' });
    expect(rec.detail).toContain('containment');
  });
});

describe('site, planning and live updates', () => {
  it('serves the site without any secret', async () => {
    const token = await login('engineer');
    const r = await app.inject({ url: '/api/site', headers: { authorization: `Bearer ${token}` } });
    expect(r.statusCode).toBe(200);
    expect(r.body).not.toContain('scrypt$');
    expect(r.body).not.toContain('sha256$');
    expect(r.json().rings).toHaveLength(3);
  });

  it('previews a patrol plan for operators, not engineers', async () => {
    const op = await login('operator');
    const r = await app.inject({ method: 'POST', url: '/api/patrols/preview', headers: { authorization: `Bearer ${op}` }, payload: { horizonS: 3600 } });
    expect(r.statusCode).toBe(200);
    expect(r.json().rings.map((x: { ringId: string }) => x.ringId)).toEqual(['containment', 'prevention', 'control']);
    const eng = await login('engineer');
    expect((await app.inject({ method: 'POST', url: '/api/patrols/preview', headers: { authorization: `Bearer ${eng}` }, payload: {} })).statusCode).toBe(403);
  });

  it('pushes live updates as server-sent event batches', async () => {
    const token = await login('operator');
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as { port: number }).port;
    const { contentType, text } = await firstSseEvent(`http://127.0.0.1:${port}/api/live`, {
      headers: { authorization: `Bearer ${token}` },
      event: 'batch',
      // A partial record is enough to see it streamed.
      onOpen: () => hub.publish({ type: 'ledger', data: { id: 'c1', state: 'acked' } as unknown as LedgerRecord }),
    });
    expect(contentType).toBe('text/event-stream');
    const data = text.split('\n').find((l) => l.startsWith('data: '))!;
    expect(JSON.parse(data.slice(6))).toEqual([{ type: 'ledger', data: { id: 'c1', state: 'acked' } }]);
  });

  it('documents every route in OpenAPI', async () => {
    const doc = (await app.inject({ url: '/api/openapi.json' })).json() as { paths: Record<string, unknown> };
    for (const p of ['/api/login', '/api/me', '/api/site', '/api/warnings/{id}', '/api/patrols/preview', '/api/audit', '/api/live']) expect(doc.paths).toHaveProperty([p]);
  });
});

describe('API documentation', () => {
  it('serves browsable docs without a login', async () => {
    const r = await app.inject({ url: '/api/docs/' });
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('swagger');
    const spec = await app.inject({ url: '/api/docs/json' });
    expect(spec.json()).toHaveProperty(['paths', '/api/broadcasts']);
  });
});
