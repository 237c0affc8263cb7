import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { IngestMetrics } from '../../telemetry/metrics.ts';
import { startMetricsServer, type MetricsServer } from '../../telemetry/metrics-server.ts';

/** A pino logger whose lines the test reads. */
function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

describe('telemetry metrics server', () => {
  const servers: MetricsServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });

  it('serves prom-client metrics (spool, shed, influxd) and the health record', async () => {
    const m = new IngestMetrics();
    m.received = 12;
    m.shed['telemetry'] = 3;
    const reg = m.registry(() => ({
      status: 'degraded',
      gauges: { queuedPoints: 5, inFlightBatches: 1, spoolBytes: 4096, spoolSegments: 2, oldestPendingAgeMs: 900 },
      spool: { appendFailures: 3, tornTails: 1, corruptLines: 0 },
      shedding: true,
      storeReachable: false,
      mqttConnected: true,
      influxd: { state: 'down', pid: undefined, restarts: 2, exits: 3 },
    }));
    const { logger } = capturedLogger();
    const s = await startMetricsServer({ port: 0, logger, metrics: async () => ({ contentType: reg.contentType, body: await reg.metrics() }), health: () => ({ status: 'degraded', reasons: ['x'] }) });
    servers.push(s);
    const res = await fetch(s.metricsUrl);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    for (const line of [
      'ringwatch_telemetry_healthy 0',
      'ringwatch_telemetry_messages_received_total 12',
      'ringwatch_telemetry_messages_shed_total{measurement="telemetry"} 3',
      'ringwatch_telemetry_queued_points 5',
      'ringwatch_telemetry_spool_bytes 4096',
      'ringwatch_telemetry_spool_shedding 1',
      'ringwatch_telemetry_spool_append_failures_total 3',
      'ringwatch_telemetry_store_up 0',
      'ringwatch_telemetry_influxd_up 0',
      'ringwatch_telemetry_influxd_state{state="down"} 1',
      'ringwatch_telemetry_influxd_restarts_total 2',
      'ringwatch_telemetry_influxd_exits_total 3',
    ]) {
      expect(text).toContain(line);
    }
    expect(await (await fetch(s.healthUrl)).json()).toEqual({ status: 'degraded', reasons: ['x'] });
    expect((await fetch(s.metricsUrl.replace('/metrics', '/nope'))).status).toBe(404);
  });

  it('answers a failure with 500 and logs it with the same request id', async () => {
    const { logger, lines } = capturedLogger();
    const s = await startMetricsServer({
      port: 0,
      logger,
      metrics: async () => {
        throw new Error('collector exploded');
      },
      health: () => ({}),
    });
    servers.push(s);
    const res = await fetch(s.metricsUrl);
    expect(res.status).toBe(500);
    const body = (await res.json()) as { requestId: string };
    expect(body.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('x-request-id')).toBe(body.requestId);
    const logged = lines.find((l) => l['requestId'] === body.requestId);
    expect(logged).toMatchObject({ level: 50, url: '/metrics', msg: 'telemetry metrics server: 500' });
    expect(JSON.stringify(logged)).toContain('collector exploded');
  });
});
