import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginToken, rawRequest, startApiServer, type ApiServer } from './http-fixture.ts';

// Issue 12, item 1: `/%61pi/audit` reached the handler without a session, because the
// auth hook tested the raw URL prefix while the router decodes it.

let server: ApiServer;
beforeAll(async () => {
  server = await startApiServer();
});
afterAll(async () => {
  await server?.close();
});

/** Every way we know to spell a path so that a prefix test and the router disagree. */
function spellings(path: string): string[] {
  const rest = path.slice('/api/'.length);
  return [
    path,
    `/%61pi/${rest}`,
    `/%41PI/${rest}`,
    `/api%2F${rest}`,
    `/api/%${rest.charCodeAt(0).toString(16)}${rest.slice(1)}`,
    `//api/${rest}`,
    `/./api/${rest}`,
    `/api/./${rest}`,
    `/api/../api/${rest}`,
    `/x/../api/${rest}`,
    `/API/${rest}`,
    `/Api/${rest}`,
    `/api;/${rest}`,
    `/api/${rest};`,
    `/api/${rest};x=1`,
    `/api/${rest}/`,
    `/api/${rest}//`,
    `/api/${rest}?`,
    `/api/${rest}#x`,
    `/api/${rest}%20`,
    `/api/${rest}%00`,
  ];
}

const TARGETS: { method: string; path: string; body?: string }[] = [
  { method: 'GET', path: '/api/audit' },
  { method: 'GET', path: '/api/live' },
  { method: 'GET', path: '/api/me' },
  { method: 'POST', path: '/api/sim/faults', body: JSON.stringify({ device: 'sp-1', kind: 'silent', durationS: 1 }) },
  { method: 'PUT', path: '/api/warnings/warn-x', body: JSON.stringify({ id: 'warn-x', title: 'x', lang: 'en', text: 'x' }) },
  { method: 'POST', path: '/api/patrols/start', body: JSON.stringify({ ringIds: ['control'] }) },
];

describe('no spelling of a path reaches a handler without a session', () => {
  for (const t of TARGETS) {
    it(`${t.method} ${t.path}`, async () => {
      for (const path of spellings(t.path)) {
        const r = await rawRequest(server.port, { method: t.method, path, ...(t.body !== undefined ? { body: t.body } : {}) });
        // 401 when the router found the route, 404/400 when it did not: never a handler's answer.
        expect([400, 401, 404], `${t.method} ${path} → ${r.status} ${r.body.slice(0, 120)}`).toContain(r.status);
        expect(r.headers['content-type'] ?? '', `${path} streamed`).not.toMatch(/event-stream/);
      }
    });
  }

  it('a role that lacks the permission is refused under every spelling too', async () => {
    const token = await loginToken(server.port, 'operator');
    for (const path of spellings('/api/sim/faults')) {
      const r = await rawRequest(server.port, { method: 'POST', path, headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ device: 'sp-1', kind: 'silent', durationS: 1 }) });
      expect([400, 403, 404], `${path} → ${r.status}`).toContain(r.status);
    }
  });
});

describe('every route in the OpenAPI document', () => {
  it('answers 401 without a session, except the login itself', async () => {
    const doc = JSON.parse((await rawRequest(server.port, { path: '/api/openapi.json' })).body) as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    };
    const publicOps: string[] = [];
    let checked = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const m = method.toUpperCase();
        if (!['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(m)) continue;
        if (Array.isArray(op.security) && op.security.length === 0) {
          publicOps.push(`${m} ${path}`);
          continue;
        }
        const concrete = path.replace(/\{[^}]+\}/g, 'x');
        for (const p of [concrete, concrete.replace('/api/', '/%61pi/')]) {
          const r = await rawRequest(server.port, { method: m, path: p, ...(m === 'GET' || m === 'DELETE' ? {} : { body: '{}' }) });
          expect(r.status, `${m} ${p}: ${r.body.slice(0, 120)}`).toBe(401);
        }
        checked++;
      }
    }
    expect(publicOps).toEqual(['POST /api/login']);
    // The SSE stream and the simulator faults are among them.
    expect(doc.paths['/api/live']).toBeDefined();
    expect(doc.paths['/api/sim/faults']).toBeDefined();
    expect(checked).toBeGreaterThanOrEqual(25);
  });
});
