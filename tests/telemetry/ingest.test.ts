import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectAs, startBroker, type TestBroker } from '../helpers/broker.ts';
import { startInflux, type TestInflux } from '../helpers/influx.ts';
import { publishPaced, publishStream, serviceFixture, until, type ServiceFixture } from './ingest-helpers.ts';

describe('telemetry ingest through the real broker into a real influxd', () => {
  let broker: TestBroker;
  let influx: TestInflux;
  const clients: MqttClient[] = [];
  const fixtures: ServiceFixture[] = [];

  beforeAll(async () => {
    [broker, influx] = await Promise.all([startBroker(), startInflux()]);
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.endAsync(true);
    for (const f of fixtures.splice(0)) await f.cleanup();
  });
  afterAll(async () => {
    await broker?.close();
    await influx?.close();
  });

  const as = async (id: string) => {
    const c = await connectAs(broker, id, { clientId: id === 'control' || id === 'web' ? `${id}:test-${clients.length}` : id });
    clients.push(c);
    return c;
  };
  const fixture = async (extra: Parameters<typeof serviceFixture>[2] = {}) => {
    const f = await serviceFixture(broker, influx, extra);
    fixtures.push(f);
    return f;
  };

  it('stores every channel and the service records, counts and drops bad ones, reports health', async () => {
    const f = await fixture({ healthIntervalMs: 50 });
    const svc = await f.start();
    const web = await as('web');
    const healthSeen = new Promise<Record<string, unknown>>((resolve) =>
      web.on('message', (topic, payload) => {
        const h = JSON.parse(payload.toString()) as Record<string, unknown>;
        if (topic === 'ringwatch/v1/svc/telemetry/health' && Number(h['pointsWritten']) >= 7) resolve(h);
      }),
    );
    await web.subscribeAsync('ringwatch/v1/svc/telemetry/health', { qos: 0 });
    const [control, sp1, anpr] = await Promise.all([as('control'), as('sp-1'), as('cp-1-anpr')]);
    const t = Date.now() - 60_000;
    await Promise.all([
      control.publishAsync('ringwatch/v1/drone/drone-1/telemetry', JSON.stringify({ tsMs: t, latDeg: 30.1, lonDeg: 114.2, altAmslM: 70, altRelM: 50, headingDeg: 10, groundSpeedMps: 3, batteryPct: 77, batteryV: 22.5, mode: 'GUIDED', armed: true, gpsFix: 3 }), { qos: 1 }),
      control.publishAsync('ringwatch/v1/drone/drone-1/status', JSON.stringify({ tsMs: t - 5, state: 'online', via: 'control' }), { qos: 1 }),
      sp1.publishAsync('ringwatch/v1/speaker/sp-1/telemetry', JSON.stringify({ tsMs: t + 1, state: 'idle', volumePct: 60 }), { qos: 1 }),
      sp1.publishAsync('ringwatch/v1/speaker/sp-1/ack', JSON.stringify({ id: 'cmd-1', tsMs: t + 2, state: 'finished' }), { qos: 1 }),
      anpr.publishAsync('ringwatch/v1/sensor/cp-1-anpr/event', JSON.stringify({ id: 'ev-9', tsMs: t + 3, type: 'watchlist_hit', severity: 'critical', checkpointId: 'cp-1', plate: 'B777' }), { qos: 1 }),
      control.publishAsync('ringwatch/v1/svc/ledger', JSON.stringify({ id: 'L-1', tsMs: t + 4, commandId: 'cmd-1', deviceId: 'sp-1', kind: 'speaker', action: 'play', state: 'finished' }), { qos: 1 }),
      control.publishAsync('ringwatch/v1/svc/audit', JSON.stringify({ id: 'A-1', tsMs: t + 5, actor: 'operator', action: 'speaker.play', outcome: 'ok' }), { qos: 1 }),
      // Bad service records (the broker only bounds their size): no id; not JSON.
      control.publishAsync('ringwatch/v1/svc/ledger', JSON.stringify({ tsMs: t }), { qos: 1 }),
      control.publishAsync('ringwatch/v1/svc/audit', '{not json', { qos: 1 }),
    ]);
    await until(() => svc.metrics.pointsWritten >= 7 && svc.metrics.received >= 9, '7 points written');
    expect(svc.metrics.dropped).toMatchObject({ schema: 1, not_json: 1 });
    const w = { fromMs: t - 1000, toMs: t + 1000 };
    const latest = await svc.store.latestState();
    expect(latest.find((d) => d.deviceId === 'drone-1')).toMatchObject({ lastSeenMs: t, status: { state: 'online' }, fields: { mode: 'GUIDED', batteryPct: 77 } });
    expect(latest.find((d) => d.deviceId === 'sp-1')?.fields).toMatchObject({ state: 'idle', volumePct: 60 });
    expect((await svc.store.alarms(w)).map((e) => [e.id, e.severity])).toEqual([['ev-9', 'critical']]);
    expect((await svc.store.ledger(w)).map((r) => r.id)).toEqual(['L-1']);
    expect((await svc.store.audit(w, { actor: 'operator' })).map((r) => r.id)).toEqual(['A-1']);
    const health = svc.health();
    expect(health).toMatchObject({ pointsWritten: 7, queuedPoints: 0 });
    // A drained segment is released at once (issue 15: it used to keep its space until 8 MiB).
    expect(await healthSeen).toMatchObject({ status: 'ok', reasons: [], pointsWritten: 7, writeErrors: { retryable: 0, rejected: 0 }, spoolSegments: 0 });
  });

  it('loses nothing when influxd stops mid-stream and comes back (each point exactly once)', async () => {
    const f = await fixture();
    const svc = await f.start();
    const control = await as('control');
    const base = Date.now() - 10 * 60_000;
    const N = 2000;
    // A live stream (~2,000 msg/s) with influxd stopped and restarted while it flows.
    const streaming = publishPaced(control, 'drone-2', base, 0, N);
    await until(() => svc.metrics.pointsWritten >= 300, 'first points written');
    await influx.stop();
    const writtenAtStop = svc.metrics.pointsWritten;
    await until(() => svc.metrics.writeErrorsRetryable > 0 && svc.metrics.accepted >= writtenAtStop + 500, 'writes failing during the outage');
    expect(svc.metrics.pointsWritten).toBeLessThan(svc.metrics.accepted);
    expect(svc.spool.bytes).toBeGreaterThan(0);
    await influx.start();
    await streaming;
    await until(() => svc.metrics.pointsWritten >= N, 'all points written after the outage');
    const rows = await svc.store.positions({ fromMs: base, toMs: base + N * 100 });
    expect(rows).toHaveLength(N);
    expect(new Set(rows.map((r) => r.tsMs)).size).toBe(N);
    expect(rows.map((r) => r.tsMs)).toEqual(Array.from({ length: N }, (_, i) => base + i * 100));
  });

  it('loses nothing when the telemetry service dies mid-stream (persistent session + spool)', async () => {
    const f = await fixture();
    const first = await f.start();
    const control = await as('control');
    const base = Date.now() - 20 * 60_000;
    const N = 1500;
    await publishStream(control, 'drone-3', base, 0, 300);
    await until(() => first.metrics.pointsWritten >= 300, 'first part written');
    // Make the spool matter: with influxd down, acked messages exist only in the spool.
    await influx.stop();
    const streaming = publishStream(control, 'drone-3', base, 300, 1000);
    await until(() => first.metrics.accepted >= 600, 'messages spooled during the outage');
    await first.abort(); // a crash: no drain, no DISCONNECT, unacked messages stay with the broker
    await streaming; // the broker acks the publisher and queues for the offline session
    await influx.start();
    await publishStream(control, 'drone-3', base, 1000, N);
    const second = await f.start();
    expect(second.metrics.recoveredPoints).toBeGreaterThanOrEqual(300);
    await until(async () => (await second.store.positions({ fromMs: base, toMs: base + N * 100 })).length >= N, 'every point after restart');
    const rows = await second.store.positions({ fromMs: base, toMs: base + N * 100 });
    expect(rows.map((r) => r.tsMs)).toEqual(Array.from({ length: N }, (_, i) => base + i * 100));
  });
});
