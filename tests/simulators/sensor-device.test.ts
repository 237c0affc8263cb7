import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { checkPayload, deviceTopic, SENSOR_EVENT_TYPES } from '../../protocol/index.ts';
import { secretsLookup, sensorSpecsOf, startSensorFleet, type SensorFleet } from '../../simulators/sensor/sensor-fleet.ts';
import { connectAs, startBroker, type TestBroker } from '../helpers/broker.ts';
import { recorder } from './fleet-recorder.ts';

let broker: TestBroker;
let control: MqttClient;
let rec: ReturnType<typeof recorder>;
let fleet: SensorFleet | undefined;
let n = 0;

beforeEach(async () => {
  broker = await startBroker();
  control = await connectAs(broker, 'control', { clientId: `control:s${++n}` });
  rec = recorder(control);
  await control.subscribeAsync('ringwatch/v1/sensor/#', { qos: 1 });
});

afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
  await control.endAsync();
  await broker.close();
});

describe('checkpoint sensor simulator on the real broker', () => {
  it('every demo sensor comes online, heartbeats, and sends each event type valid per schema', async () => {
    const specs = sensorSpecsOf(broker.site);
    fleet = await startSensorFleet({ mqttUrl: broker.url, specs, secretOf: secretsLookup(broker.secrets), speed: 100, randomEvents: false, reportIntervalS: 10, connectConcurrency: 8 });
    for (const s of specs) {
      await rec.waitFor((m) => m.deviceId === s.id && m.channel === 'status' && m.body['state'] === 'online', `${s.id} online`);
      await rec.waitFor((m) => m.deviceId === s.id && m.channel === 'telemetry', `${s.id} heartbeat`);
    }
    // One scripted event of every type some demo sensor can emit.
    const byType = new Map<string, string>();
    for (const h of fleet.sensors.values()) for (const t of h.sim.emits) if (!byType.has(t)) byType.set(t, h.id);
    expect([...byType.keys()].sort()).toEqual(SENSOR_EVENT_TYPES.filter((t) => t !== 'tamper').sort());
    for (const [type, id] of byType) fleet.sensors.get(id)!.sim.trigger(type as (typeof SENSOR_EVENT_TYPES)[number]);
    for (const [type, id] of byType) {
      const ev = await rec.waitFor((m) => m.deviceId === id && m.channel === 'event' && m.body['type'] === type, `${type} from ${id}`);
      const check = checkPayload('sensor', 'event', JSON.stringify(ev.body));
      expect(check.ok, check.ok ? '' : check.message).toBe(true);
      expect(ev.body['checkpointId']).toBe(fleet.sensors.get(id)!.sim.spec.checkpointId);
      if (type === 'vehicle_pass') expect(ev.body['plate']).toEqual(expect.any(String));
      if (type === 'crowd_count') expect(ev.body['crowdCount']).toEqual(expect.any(Number));
      if (type === 'watchlist_hit') expect(ev.body['watchlist']).toEqual(expect.any(String));
    }
    for (const m of rec.seen.filter((x) => x.channel === 'telemetry')) expect(checkPayload('sensor', 'telemetry', JSON.stringify(m.body)).ok).toBe(true);
  });

  it('random events arrive at the configured rate under time acceleration', async () => {
    const specs = sensorSpecsOf(broker.site).filter((s) => s.id === 'cp-1-anpr');
    // 3600 passes per simulated hour at 100x = 100 per real second.
    fleet = await startSensorFleet({ mqttUrl: broker.url, specs, secretOf: secretsLookup(broker.secrets), speed: 100, seed: 5, ratesPerHour: { vehicle_pass: 3600, watchlist_hit: 0 } });
    const t0 = Date.now();
    await rec.waitFor(() => rec.seen.filter((m) => m.channel === 'event').length >= 30, '30 vehicle passes');
    const elapsedS = (Date.now() - t0) / 1000;
    expect(30 / elapsedS).toBeGreaterThan(20);
    expect(30 / elapsedS).toBeLessThan(400);
  });

  it('answers self_test and set_report_interval; faults stop heartbeats or drop it offline with its will', async () => {
    const specs = sensorSpecsOf(broker.site).filter((s) => s.id === 'cp-2-panic');
    fleet = await startSensorFleet({ mqttUrl: broker.url, specs, secretOf: secretsLookup(broker.secrets), speed: 50, randomEvents: false, reportIntervalS: 5 });
    const topic = deviceTopic('sensor', 'cp-2-panic', 'cmd');
    await control.publishAsync(topic, JSON.stringify({ id: 'st-1', tsMs: Date.now(), issuer: 'test', action: 'self_test' }), { qos: 1 });
    await rec.waitFor((m) => m.channel === 'ack' && m.body['id'] === 'st-1' && m.body['state'] === 'succeeded', 'self test succeeded');
    expect(rec.acks('st-1').map((a) => a['state'])).toEqual(['accepted', 'in_progress', 'succeeded']);
    await control.publishAsync(topic, JSON.stringify({ id: 'ri-1', tsMs: Date.now(), issuer: 'test', action: 'set_report_interval', intervalS: 60 }), { qos: 1 });
    await rec.waitFor((m) => m.channel === 'ack' && m.body['id'] === 'ri-1' && m.body['state'] === 'succeeded', 'interval succeeded');
    const handle = fleet.sensors.get('cp-2-panic')!;
    expect(handle.sim.currentReportIntervalS).toBe(60);

    await handle.injectFault('stop_heartbeats');
    const beats = handle.sim.counters.heartbeats;
    handle.sim.handleCommand({ id: 'ri-2', tsMs: Date.now(), issuer: 't', action: 'set_report_interval', intervalS: 1 });
    await rec.waitFor((m) => m.body['id'] === 'ri-2', 'ri-2 ack');
    const telemetryBefore = rec.seen.filter((m) => m.channel === 'telemetry').length;
    await new Promise((r) => setTimeout(r, 150)); // 7.5 simulated seconds: ~7 heartbeats if they were running
    expect(handle.sim.counters.heartbeats).toBe(beats);
    expect(rec.seen.filter((m) => m.channel === 'telemetry').length).toBe(telemetryBefore);

    await handle.injectFault('offline');
    const will = await rec.waitFor((m) => m.channel === 'status' && m.body['state'] === 'offline', 'will');
    expect(will.body['reason']).toBe('connection_lost');
    await handle.clearFaults();
    await rec.waitFor((m) => m.channel === 'telemetry' && m.body['tsMs'] as number > (will.body['tsMs'] as number), 'heartbeats again');
  });
});
