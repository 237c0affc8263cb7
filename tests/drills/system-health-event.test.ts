import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SERVICE_HEALTH_EVENT, startSystem, type RunningSystem } from '../../system/start-system.ts';
import { findFreePort } from '../../util/free-port.ts';
import { startInflux, type InfluxdHandle } from '../../telemetry/influxd.ts';
import { demoSystemOptions, until } from './drill-helpers.ts';

/** The whole stack in one process, console bundling included, on a busy 2-core machine. */
const TEST_TIMEOUT_MS = 90_000;

interface LiveEvent {
  type: string;
  data: { service?: string; status?: string; event?: string; reasons?: string[] };
}

/**
 * The stack started without its InfluxDB reports itself degraded (`RunningSystem.health`)
 * and tells the console, on the API's live event stream, when telemetry's health changes.
 */
describe('drill: service health reaches the console', () => {
  let dir: string | undefined;
  let sys: RunningSystem | undefined;
  let influx: InfluxdHandle | undefined;
  let abort: AbortController | undefined;

  afterAll(async () => {
    abort?.abort();
    await sys?.close();
    await influx?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is degraded without InfluxDB and publishes a service-health event when it appears', { timeout: TEST_TIMEOUT_MS }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'rw-drill-sys-'));
    const port = await findFreePort();
    sys = await startSystem({ ...demoSystemOptions(dir, `http://127.0.0.1:${port}`), metricsPort: 0 });
    await until(() => sys!.health().status === 'degraded', 'degraded', 15_000);
    expect(sys.health().services.telemetry.reasons.join(' ')).toMatch(/InfluxDB unreachable/);

    // One loopback port serves every part's series and a verdict per part, without login.
    expect(sys.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const metrics = await (await fetch(sys.metricsUrl!)).text();
    for (const series of ['ringwatch_broker_clients{identity="control"} 1', 'ringwatch_control_broker_connected 1', 'ringwatch_control_ledger_open_records', 'ringwatch_control_alarms_open', 'ringwatch_telemetry_store_up 0'])
      expect(metrics).toContain(series);
    const h = (await (await fetch(sys.metricsUrl!.replace(/metrics$/, 'health'))).json()) as { status: string; reasons: string[]; services: Record<string, { status: string }> };
    expect(h).toMatchObject({ status: 'degraded', services: { broker: { status: 'ok' }, control: { status: 'ok' }, telemetry: { status: 'degraded' } } });
    expect(h.reasons.some((r) => /^telemetry: InfluxDB unreachable/.test(r))).toBe(true);

    const login = await fetch(`${sys.mapUrl}api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'engineer', password: 'engineer-demo' }),
    });
    expect(login.status).toBe(200);
    const { token } = (await login.json()) as { token: string };
    abort = new AbortController();
    const live = await fetch(`${sys.mapUrl}api/live`, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
    expect(live.status).toBe(200);
    const events: LiveEvent[] = [];
    void (async () => {
      const decoder = new TextDecoder();
      let buf = '';
      for await (const chunk of live.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buf.indexOf('\n\n')) !== -1) {
          const frame = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const data = frame.split('\n').find((l) => l.startsWith('data: '));
          if (data) events.push(...(JSON.parse(data.slice(6)) as LiveEvent[]));
        }
      }
    })().catch(() => undefined);

    influx = await startInflux({ dataDir: join(dir, 'influxdb'), port });
    await until(() => events.some((e) => e.type === SERVICE_HEALTH_EVENT && e.data.event === 'InfluxDB reachable'), 'a service-health event on /api/live', 30_000);
    const ev = events.find((e) => e.type === SERVICE_HEALTH_EVENT && e.data.event === 'InfluxDB reachable')!;
    expect(ev.data).toMatchObject({ service: 'telemetry', status: 'ok', reasons: [] });
    expect(sys.health().status).toBe('ok');
  });
});
