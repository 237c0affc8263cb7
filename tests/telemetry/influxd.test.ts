import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TelemetryError } from '../../telemetry/errors.ts';
import { startInflux, type InfluxdHandle } from '../../telemetry/influxd.ts';

describe('local influxd management', () => {
  const dirs: string[] = [];
  const running: InfluxdHandle[] = [];
  afterEach(async () => {
    for (const h of running.splice(0)) await h.close();
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });
  const tmp = async () => {
    const d = await mkdtemp(join(tmpdir(), 'rw-influxd-'));
    dirs.push(d);
    return d;
  };

  it('says which setup command installs a missing binary', async () => {
    const err = await startInflux({ dataDir: await tmp(), binary: '/nonexistent/influxd' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TelemetryError);
    expect((err as TelemetryError).code).toBe('TEL_INFLUXD_MISSING');
    expect((err as Error).message).toContain('npm run setup');
  });

  it('binds loopback on free ports with reporting off, and survives stop/start with its data', async () => {
    const dir = await tmp();
    const h = await startInflux({ dataDir: dir });
    running.push(h);
    const conf = await readFile(join(dir, 'influxdb.conf'), 'utf8');
    expect(conf).toContain('reporting-disabled = true');
    expect(conf).toContain(`bind-address = "127.0.0.1:${h.port}"`);
    expect(conf).toMatch(/^bind-address = "127\.0\.0\.1:\d+"$/m);
    const q = (s: string) => fetch(`${h.url}/query?q=${encodeURIComponent(s)}`, { method: 'POST' }).then((r) => r.json() as Promise<{ results: { series?: { values: unknown[][] }[] }[] }>);
    await q('CREATE DATABASE keepme');
    await h.stop();
    expect(h.running).toBe(false);
    await expect(fetch(`${h.url}/ping`)).rejects.toThrow();
    await h.start();
    const dbs = await q('SHOW DATABASES');
    expect(dbs.results[0]?.series?.[0]?.values.flat()).toContain('keepme');
  });
});
