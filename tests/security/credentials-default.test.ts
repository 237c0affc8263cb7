import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findDemoCredentials, isLoopbackHost } from '../../site/default-credentials.ts';
import { hashDeviceSecret, hashPassword } from '../../site/secrets.ts';
import { parseSite } from '../../site/load.ts';
import { startBanner } from '../../cli/start-banner.ts';
import { demo } from './http-fixture.ts';

// Issue 12, item 5: a renamed demo site bound to 0.0.0.0 accepted chief/chief-demo and
// the demo device and service secrets, and the start banner printed user passwords.

let dir: string;
let renamedSite: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rw-democreds-'));
  renamedSite = join(dir, 'station.yaml');
  writeFileSync(renamedSite, readFileSync('sites/demo.yaml', 'utf8').replace(/^(site:\s*\n\s+id:\s*)\S+/m, '$1riverside').replace(/name: .*Police Station.*/, 'name: Riverside Station'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI; resolves with its exit code and output, or kills it (and its children) after timeoutMs. */
function runCli(args: string[], timeoutMs: number): Promise<{ code: number | null; stderr: string; stdout: string; killed: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/ringwatch.js', ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      try {
        process.kill(-child.pid!, 'SIGINT');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout, killed });
    });
  });
}

describe('a site with the published demo credentials', () => {
  it('is recognised under any site name and user name', async () => {
    const uses = await findDemoCredentials(parseSite(readFileSync(renamedSite, 'utf8'), renamedSite));
    expect(uses.filter((u) => u.kind === 'user').map((u) => u.id).sort()).toEqual(demo.site.users.map((u) => u.username).sort());
    expect(uses.filter((u) => u.kind === 'service').map((u) => u.id).sort()).toEqual(['control', 'telemetry', 'web']);
    expect(uses.filter((u) => u.kind === 'device').length).toBe(Object.keys(demo.site.credentials.devices).length);
    // A renamed user keeping the demo password is still the demo password.
    const renamedUser = { ...demo.site, users: [{ ...demo.site.users[0]!, username: 'watchman' }] };
    expect(await findDemoCredentials(renamedUser)).toContainEqual({ kind: 'user', id: 'watchman' });
  });

  it('a site with its own secrets matches nothing', async () => {
    const own = {
      users: demo.site.users.map((u) => ({ ...u, passwordHash: hashPassword(`${u.username}-own-long-password`) })),
      credentials: {
        devices: Object.fromEntries(Object.keys(demo.site.credentials.devices).map((id) => [id, hashDeviceSecret(`own-${id}`)])),
        services: { control: hashDeviceSecret('own-c'), telemetry: hashDeviceSecret('own-t'), web: hashDeviceSecret('own-w') },
      },
    };
    expect(await findDemoCredentials(own)).toEqual([]);
  });

  it('refuses to start off loopback with exit 2 and says why (ringwatch up)', async () => {
    const r = await runCli(['up', '--site', renamedSite, '--secrets', 'sites/demo.secrets.yaml', '--host', '0.0.0.0', '--data-dir', join(dir, 'data'), '--http-port', '0', '--mqtt-port', '0', '--ws-port', '0'], 45_000);
    expect(r.killed, `it started instead of refusing:\n${r.stdout.slice(0, 400)}`).toBe(false);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/published demo credentials/);
    expect(r.stderr).toMatch(/users .*chief/);
    expect(r.stderr).toMatch(/0\.0\.0\.0/);
    expect(r.stderr).toMatch(/hash-secret/);
    expect(r.stderr).not.toMatch(/chief-demo/);
  }, 60_000);

  it('refuses the standalone broker off loopback too', async () => {
    const r = await runCli(['broker', '--site', renamedSite, '--host', '0.0.0.0', '--mqtt-port', '0', '--ws-port', '0'], 45_000);
    expect(r.killed, 'the broker started').toBe(false);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/published demo credentials/);
  }, 60_000);
});

describe('the start banner', () => {
  const base = { site: demo.site, secrets: demo.secrets, mapUrl: 'http://127.0.0.1:8080/', mqttUrl: 'mqtt://127.0.0.1:1883' };
  it('prints passwords for the demo on loopback', async () => {
    const uses = await findDemoCredentials(demo.site);
    expect(startBanner({ ...base, demoCredentials: uses, hosts: ['127.0.0.1'] })).toContain(demo.secrets.users!['chief']!);
  });
  it('prints none for a site whose users are not the demo ones, even with a secrets file listing users', () => {
    const text = startBanner({ ...base, demoCredentials: [], hosts: ['127.0.0.1'] });
    for (const p of Object.values(demo.secrets.users!)) expect(text).not.toContain(p);
  });
  it('prints none when any listener is off loopback', async () => {
    const uses = await findDemoCredentials(demo.site);
    const text = startBanner({ ...base, demoCredentials: uses, hosts: ['0.0.0.0'] });
    for (const p of Object.values(demo.secrets.users!)) expect(text).not.toContain(p);
  });
  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '[::1]']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', '']) expect(isLoopbackHost(h), h).toBe(false);
  });
});
