import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../../control/api/audit-log.ts';
import { redactSecrets } from '../../control/api/redact.ts';
import { WarningLibrary } from '../../control/ops/warning-library.ts';
import { demo, loginToken, rawRequest, startApiServer, type ApiServer } from './http-fixture.ts';

// Issue 12, item 7: audit records stored request bodies, so a site file sent to
// validation put 26 password hashes in front of every operator.

let server: ApiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('the audit trail stores no secrets', () => {
  it('a site file sent to validation leaves no hash in the audit file or the audit API', async () => {
    server = await startApiServer();
    const yaml = readFileSync('sites/demo.yaml', 'utf8');
    expect(yaml).toMatch(/scrypt\$/);
    const token = await loginToken(server.port, 'engineer');
    const r = await rawRequest(server.port, { method: 'POST', path: '/api/config/validate', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ yaml }), timeoutMs: 120_000 });
    expect(r.status).toBe(200);
    const file = readFileSync(join(server.dataDir, 'audit.jsonl'), 'utf8');
    expect(file).toMatch(/config\/validate/);
    expect(file).not.toMatch(/scrypt\$|sha256\$/);
    const chief = await loginToken(server.port, 'chief');
    const api = await rawRequest(server.port, { path: '/api/audit', headers: { authorization: `Bearer ${chief}` } });
    expect(api.body).toMatch(/config\/validate/);
    expect(api.body).not.toMatch(/scrypt\$|sha256\$/);
    // No demo plain secret either.
    for (const s of Object.values(demo.secrets.users ?? {})) expect(file).not.toContain(s);
  }, 120_000);

  it('redacts values under secret-like keys at any depth and hash-looking substrings anywhere', () => {
    const out = redactSecrets({
      password: 'hunter2',
      nested: [{ apiKey: 'k', token: 't', passwordHash: 'scrypt$1$2$3$a$b', note: 'see sha256$abc$def here', n: 3 }],
      credentials: { devices: { x: 'sha256$s$h' } },
      text: 'x'.repeat(10_000),
    }) as Record<string, unknown>;
    const s = JSON.stringify(out);
    expect(s).not.toMatch(/hunter2|scrypt\$|sha256\$|"k"|"t"/);
    expect(s).toContain('see [redacted] here');
    expect(s).toContain('"n":3');
    expect((out['text'] as string).length).toBeLessThan(5_000);
  });
});

describe('data files are private to the service user', () => {
  it('writes the audit trail and the warning library 0600 in a 0700 directory, whatever the umask', async () => {
    const root = mkdtempSync(join(tmpdir(), 'rw-modes-'));
    const previous = process.umask(0);
    try {
      const dir = join(root, 'control');
      const audit = await AuditLog.open({ dataDir: dir, clock: { nowMs: () => 1 } });
      await audit.record({ username: 'u', role: 'chief', action: 'x', target: 'x', outcome: 'ok', status: 200 });
      await audit.close();
      new WarningLibrary(demo.site.warnings, dir).upsert({ id: 'warn-modes', title: 't', lang: 'en', text: 't' });
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      expect(statSync(join(dir, 'audit.jsonl')).mode & 0o777).toBe(0o600);
      expect(statSync(join(dir, 'warnings.json')).mode & 0o777).toBe(0o600);
    } finally {
      process.umask(previous);
      rmSync(root, { recursive: true, force: true });
    }
  });
});
