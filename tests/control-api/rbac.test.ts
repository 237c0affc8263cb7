import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROLES, type Role } from '../../site/schema.ts';
import { ROLE_PERMISSIONS } from '../../control/auth/roles.ts';
import type { AuditRecord } from '../../control/api/audit-log.ts';
import { startControlStack, type ControlStack } from '../helpers/control-stack.ts';

let stack: ControlStack;
const tokens = new Map<Role, string>();
const users: Record<Role, string> = { operator: 'operator', chief: 'chief', engineer: 'engineer' };

/** A body each mutating route accepts, so an allowed call gets past validation. */
const BODIES: Record<string, unknown> = {
  'PUT /api/warnings/:id': { id: 'warn-rbac', title: 'RBAC', lang: 'en', text: 'Test warning.' },
  'POST /api/patrols/preview': {},
  'POST /api/patrols/start': { ringIds: ['control'] },
  'POST /api/patrols/stop': { ringIds: ['control'] },
  'POST /api/drones/:id/commands': { action: 'set_speed', speedMps: 10 },
  'POST /api/dispatch': { latDeg: 30.27, lonDeg: 120.07, severity: 'low' },
  'POST /api/broadcasts': { target: { kind: 'devices', deviceIds: ['sp-1'] }, source: { kind: 'tts', text: 'Test.', lang: 'en' }, volumePct: 10, loop: false, priority: 1 },
  'POST /api/config/validate': { yaml: 'version: 1' },
  'POST /api/sim/faults': { device: 'sp-1', kind: 'silent', durationS: 1 },
  'POST /api/logout': undefined,
};
const PARAMS: Record<string, string> = { ':id': 'drone-1' };

beforeAll(async () => {
  stack = await startControlStack({ speed: 10, drones: ['drone-1'], speakers: ['sp-1'] });
  for (const role of ROLES) tokens.set(role, await stack.login(users[role]));
}, 60_000);

afterAll(async () => {
  await stack?.close();
});

describe('roles against every mutating route', () => {
  it('declares a permission on every mutating route', () => {
    const mutating = stack.api.routePermissions.filter((r) => r.method !== 'GET');
    expect(mutating.length).toBeGreaterThanOrEqual(15);
    for (const r of mutating) expect(r.permission).not.toBeUndefined();
  });

  it('allows exactly what each role may do, refuses the rest, and audits every call', async () => {
    const mutating = stack.api.routePermissions.filter((r) => r.method !== 'GET' && r.permission !== 'public' && r.url !== '/api/logout');
    const seen: string[] = [];
    for (const route of mutating) {
      for (const role of ROLES) {
        const key = `${route.method} ${route.url}`;
        const url = route.url.replace(/:id/g, PARAMS[':id']!);
        const r = await stack.api.inject({ method: route.method as 'POST', url, headers: { authorization: `Bearer ${tokens.get(role)}` }, ...(BODIES[key] !== undefined ? { payload: BODIES[key] as object } : {}) });
        const allowed = route.permission === 'read' || ROLE_PERMISSIONS[role].has(route.permission as never);
        if (allowed) expect(r.statusCode, `${role} ${key}: ${r.body}`).not.toBe(403);
        else {
          expect(r.statusCode, `${role} ${key}`).toBe(403);
          expect(r.json()).toMatchObject({ code: 'API_ERR_FORBIDDEN' });
        }
        seen.push(`${role}|${key}|${allowed ? 'allowed' : 'refused'}`);
      }
    }
    // Every call left an audit record naming who, what and how it ended.
    const audit = readFileSync(join(stack.dataDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditRecord);
    for (const s of seen) {
      const [role, key, verdict] = s.split('|') as [Role, string, string];
      const rec = audit.find((a) => a.username === users[role] && a.action === key);
      expect(rec, `audit of ${s}`).toBeDefined();
      if (verdict === 'refused') expect(audit.some((a) => a.username === users[role] && a.action === key && a.outcome === 'refused' && a.status === 403)).toBe(true);
      else expect(audit.some((a) => a.username === users[role] && a.action === key && a.outcome !== 'refused')).toBe(true);
    }
  }, 60_000);

  it('validates site files for engineers, naming the problem', async () => {
    const yaml = readFileSync('sites/demo.yaml', 'utf8');
    const ok = await stack.api.inject({ method: 'POST', url: '/api/config/validate', headers: { authorization: `Bearer ${tokens.get('engineer')}` }, payload: { yaml } });
    expect(ok.json()).toMatchObject({ ok: true, summary: { rings: 3, drones: 8 } });
    const bad = await stack.api.inject({ method: 'POST', url: '/api/config/validate', headers: { authorization: `Bearer ${tokens.get('engineer')}` }, payload: { yaml: yaml.replace('responseTargetS: 180', 'responseTargetS: soon') } });
    expect(bad.json().ok).toBe(false);
    expect(bad.json().issues[0]).toMatchObject({ path: '/rings/1/responseTargetS', message: 'must be number' });
  });

  it('lists devices with their presence', async () => {
    const r = await stack.api.inject({ url: '/api/devices', headers: { authorization: `Bearer ${tokens.get('engineer')}` } });
    const sp1 = (r.json() as { id: string; state: string }[]).find((d) => d.id === 'sp-1')!;
    expect(sp1.state).toBe('online');
  });
});
