import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_INFLUXD_BINARY, startInflux, type InfluxdHandle } from '../../telemetry/influxd.ts';
import { InfluxV1Store } from '../../telemetry/store/v1.ts';

// Issue 12, item 7: the managed influxd had an open HTTP port: any process on the host
// could read and rewrite telemetry, ledger and audit history.

let influxd: InfluxdHandle | undefined;
let dir: string | undefined;
afterEach(async () => {
  await influxd?.close();
  influxd = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const query = async (url: string, q: string, auth?: { username: string; password: string }) => {
  const headers: Record<string, string> = auth ? { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` } : {};
  const res = await fetch(`${url}/query`, { method: 'POST', body: new URLSearchParams({ q }), headers });
  return { status: res.status, text: await res.text() };
};

describe.skipIf(!existsSync(DEFAULT_INFLUXD_BINARY))('the managed influxd', () => {
  it('runs with auth and a generated admin kept 0600: anonymous queries are refused, across restarts', async () => {
    dir = mkdtempSync(join(tmpdir(), 'rw-influx-auth-'));
    influxd = await startInflux({ dataDir: join(dir, 'influxdb'), auth: true });
    const c = influxd.credentials!;
    expect(c.password.length).toBeGreaterThanOrEqual(32);
    const anon = await query(influxd.url, 'SHOW DATABASES');
    expect(anon.status, anon.text).toBe(401);
    const wrong = await query(influxd.url, 'SHOW DATABASES', { username: c.username, password: 'chief-demo' });
    expect(wrong.status).toBe(401);
    expect((await query(influxd.url, 'SHOW DATABASES', c)).status).toBe(200);
    expect(statSync(join(dir, 'influxdb', 'admin-credentials.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'influxdb', 'influxdb.conf')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'influxdb')).mode & 0o777).toBe(0o700);

    // The store logs in with them.
    const store = new InfluxV1Store({ url: influxd.url, username: c.username, password: c.password });
    await store.init();
    await store.close();

    await influxd.stop();
    await influxd.start();
    expect((await query(influxd.url, 'SHOW DATABASES')).status).toBe(401);
    expect((await query(influxd.url, 'SHOW DATABASES', c)).status).toBe(200);
  }, 90_000);
});
