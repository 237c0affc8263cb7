import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS_TOPIC, startTelemetryService, type TelemetryService } from '../../telemetry/service.ts';
import { collect, connectAs, startBroker, type Received, type TestBroker } from '../helpers/broker.ts';
import { publishPaced, TEST_WRITER } from '../telemetry/ingest-helpers.ts';
import { until } from './drill-helpers.ts';

/**
 * Drill: the managed influxd paused (SIGSTOP … SIGCONT) and killed (SIGKILL) while a
 * device streams at QoS 1 through the real broker into the telemetry service. Asserted
 * by counting: every message the broker acknowledged is stored exactly once; the kill is
 * seen, logged and published as an event, and the supervisor brings influxd back.
 */
const DRILL_TIMEOUT_MS = 60_000;
const N = 3000;

describe('drill: managed influxd paused and killed under a live stream', () => {
  let broker: TestBroker;
  let dir: string;
  let svc: TelemetryService | undefined;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    broker = await startBroker();
  });
  afterEach(async () => {
    await svc?.abort();
    svc = undefined;
    for (const c of clients.splice(0)) await c.endAsync(true);
    await rm(dir, { recursive: true, force: true });
  });
  afterAll(async () => {
    await broker?.close();
  });

  const start = async (name: string) => {
    dir = await mkdtemp(join(tmpdir(), `rw-drill-${name}-`));
    svc = await startTelemetryService({
      site: broker.site.site.id,
      mqtt: { url: broker.url, password: broker.secrets.services['telemetry']!, clientId: `telemetry:drill-${name}-${process.pid}` },
      store: { backend: 'v1' }, // no URL: the service starts and supervises its own influxd
      dataDir: dir,
      writer: TEST_WRITER,
      influxd: { restart: { initialMs: 300, maxMs: 2_000 } },
      storeProbeMs: 500,
      healthIntervalMs: 0,
      logger: pino({ level: process.env['RINGWATCH_TEST_LOG'] ?? 'silent' }),
    });
    expect(svc.health().influxd?.state).toBe('running');
    const device = await connectAs(broker, 'control', { clientId: `control:drill-${name}-${process.pid}` });
    const watcher = await connectAs(broker, 'web', { clientId: `web:drill-${name}-${process.pid}` });
    clients.push(device, watcher);
    const events = collect(watcher);
    await watcher.subscribeAsync(EVENTS_TOPIC, { qos: 1 });
    return { s: svc, device, events };
  };

  /** Every point of the stream, exactly once, in order. */
  const expectAllStored = async (s: TelemetryService, base: number) => {
    await until(() => s.metrics.pointsWritten >= N, `${N} points written`, 40_000);
    const rows = await s.store.positions({ fromMs: base, toMs: base + N * 100 });
    expect(rows.map((r) => r.tsMs)).toEqual(Array.from({ length: N }, (_, i) => base + i * 100));
    expect(s.metrics.shed).toEqual({});
  };

  it('SIGSTOP then SIGCONT: acks go on, health says degraded while paused, nothing is lost', { timeout: DRILL_TIMEOUT_MS }, async () => {
    const { s, device } = await start('stop');
    const base = Date.now() - 30 * 60_000;
    const pid = s.influxd!.pid!;
    const streaming = publishPaced(device, 'drone-6', base, 0, N, 50, 25);
    await until(() => s.metrics.pointsWritten >= 500, 'first points written', 20_000);
    process.kill(pid, 'SIGSTOP');
    try {
      const acceptedAtStop = s.metrics.accepted;
      // A paused influxd still accepts TCP connections but never answers: the probe's
      // ping times out and health turns degraded, while ingest keeps acking into the spool.
      await until(() => s.health().status === 'degraded', 'health degraded', 15_000);
      expect(s.health().reasons.join(' ')).toMatch(/InfluxDB unreachable/);
      await until(() => s.metrics.accepted >= acceptedAtStop + 500, 'acks continue while influxd is paused', 15_000);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await streaming;
    await expectAllStored(s, base);
    await until(() => s.health().status === 'ok', 'health ok after SIGCONT', 15_000);
    expect(s.health().influxd).toMatchObject({ state: 'running', restarts: 0, exits: 0, pid });
  });

  it('SIGKILL: the exit is logged and published, influxd is restarted, nothing acknowledged is lost', { timeout: DRILL_TIMEOUT_MS }, async () => {
    const { s, device, events } = await start('kill');
    const base = Date.now() - 40 * 60_000;
    const pid = s.influxd!.pid!;
    const streaming = publishPaced(device, 'drone-7', base, 0, N, 50, 25);
    await until(() => s.metrics.pointsWritten >= 500, 'first points written', 20_000);
    const t0 = performance.now();
    process.kill(pid, 'SIGKILL');
    await until(() => s.health().influxd?.state === 'running' && s.health().influxd?.pid !== pid, 'influxd restarted by the supervisor', 30_000);
    const restartMs = Math.round(performance.now() - t0);
    await streaming;
    await expectAllStored(s, base);
    expect(s.health().influxd).toMatchObject({ state: 'running', restarts: 1, exits: 1 });
    const seen = (re: RegExp) => events.some((e: Received) => re.test((JSON.parse(e.payload) as { event: string }).event));
    await until(() => seen(/influxd exited \(code null, signal SIGKILL\)/) && seen(/influxd running again/), 'exit and restart events on the broker', 10_000);
    await until(() => s.health().status === 'ok', 'health ok after the restart', 15_000);
    console.info(`drill SIGKILL influxd: restarted in ${restartMs} ms; ${N} of ${N} points stored; retries ${s.metrics.retries}`);
  });
});
