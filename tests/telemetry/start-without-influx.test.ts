import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../util/free-port.ts';
import { startInflux, type InfluxdHandle } from '../../telemetry/influxd.ts';
import { startTelemetryService, type TelemetryService } from '../../telemetry/service.ts';
import { InfluxV1Store } from '../../telemetry/store/v1.ts';
import { connectAs, startBroker, type TestBroker } from '../helpers/broker.ts';
import { publishStream, TEST_WRITER, until } from './ingest-helpers.ts';

/** Several service start-ups and an influxd cold start on a busy 2-core machine. */
const TEST_TIMEOUT_MS = 90_000;

describe('telemetry with InfluxDB absent at start (issue 15)', () => {
  let broker: TestBroker;
  let publisher: MqttClient;
  let dir: string;
  let influx: InfluxdHandle | undefined;
  let svc: TelemetryService | undefined;

  beforeAll(async () => {
    [broker, dir] = await Promise.all([startBroker(), mkdtemp(join(tmpdir(), 'rw-noinflux-'))]);
    publisher = await connectAs(broker, 'control', { clientId: `control:noinflux-${process.pid}` });
  });
  afterAll(async () => {
    await svc?.abort();
    await publisher?.endAsync(true);
    await broker?.close();
    await influx?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('starts degraded, acks and spools, and drains into an influxd that appears later', { timeout: TEST_TIMEOUT_MS }, async () => {
    const port = await findFreePort(); // nothing listens here until the influxd below
    const url = `http://127.0.0.1:${port}`;
    svc = await startTelemetryService({
      site: broker.site.site.id,
      mqtt: { url: broker.url, password: broker.secrets.services['telemetry']!, clientId: `telemetry:noinflux-${process.pid}` },
      store: { backend: 'v1', url, database: 'late' },
      dataDir: join(dir, 'telemetry'),
      writer: TEST_WRITER,
      storeProbeMs: 200,
      healthIntervalMs: 0,
      logger: pino({ level: 'silent' }),
    });
    await until(() => svc!.health().store.reachable === false, 'the first failed probe');
    const h = svc.health();
    expect(h.status).toBe('degraded');
    expect(h.reasons.join(' ')).toMatch(/InfluxDB unreachable .*ECONNREFUSED.*points wait in the spool/);

    const base = Date.now() - 5 * 60_000;
    const N = 400;
    await publishStream(publisher, 'drone-5', base, 0, N);
    // Every message is taken (spooled, acked to the broker) although InfluxDB is absent.
    await until(() => svc!.metrics.accepted >= N, 'every message spooled');
    expect(svc.metrics.accepted).toBe(N);
    expect(svc.metrics.pointsWritten).toBe(0);
    expect(svc.spool.bytes).toBeGreaterThan(0);

    influx = await startInflux({ dataDir: join(dir, 'influxdb'), port });
    await until(() => svc!.metrics.pointsWritten >= N, 'the spool drained into the late influxd', 30_000);
    await until(() => svc!.health().status === 'ok', 'health ok again');
    const rows = await new InfluxV1Store({ url, database: 'late' }).positions({ fromMs: base, toMs: base + N * 100 });
    expect(rows.map((r) => r.tsMs)).toEqual(Array.from({ length: N }, (_, i) => base + i * 100));
    expect(svc.spool.bytes).toBe(0);
  });
});
