import { afterEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { checkPayload, deviceTopic, type DroneEvent, type DroneTelemetry, type StatusPayload } from '../../protocol/index.ts';
import { collect, connectAs, nextMessage } from '../helpers/broker.ts';
import { startRig, waitFor, type Rig } from './helpers/rig.ts';

let rig: Rig | undefined;
let web: MqttClient | undefined;
afterEach(async () => {
  await web?.endAsync();
  await rig?.close();
  rig = web = undefined;
});

describe('telemetry gateway on the real broker', () => {
  it('publishes schema-valid telemetry in the protocol units, at the configured rate, and retained online status', async () => {
    rig = await startRig({ count: 2, broker: true, telemetryRateHz: 5 });
    web = await connectAs(rig.broker!, 'telemetry', { clientId: 'telemetry:t' });
    const got = collect(web);
    await web.subscribeAsync('ringwatch/v1/drone/+/+', { qos: 1 });
    const v = rig.svc.vehicle('drone-2');
    await waitFor(() => v.online && v.telemetry() !== undefined, 5000, 'drone-2 streaming');
    // Fly drone-2 a little so speed, heading and altitude are not all zero.
    await v.action.setMode('GUIDED');
    await v.action.arm();
    await v.action.takeoff(30);
    await waitFor(() => rig!.sims[1]!.state().altRelM > 20, 8000, 'climb');
    await v.action.goto({ latDeg: 30.2725, lonDeg: 120.0675, altRelM: 30 });
    await waitFor(() => rig!.sims[1]!.state().groundSpeedMps > 3, 5000, 'cruise');

    const mark = got.length;
    await new Promise((r) => setTimeout(r, 1500));
    const window = got.slice(mark).filter((m) => m.topic === deviceTopic('drone', 'drone-2', 'telemetry'));
    // Rate from the samples' own timestamps, so delivery jitter on a loaded machine does not count.
    const ts = window.map((m) => (JSON.parse(m.payload) as DroneTelemetry).tsMs);
    const rateHz = (ts.length - 1) / ((ts.at(-1)! - ts[0]!) / 1000);
    expect(rateHz).toBeGreaterThan(3.5);
    expect(rateHz).toBeLessThan(6.5);
    const last = window.at(-1)!;
    const check = checkPayload<DroneTelemetry>('drone', 'telemetry', last.payload);
    expect(check.ok).toBe(true);
    const t = (check as { value: DroneTelemetry }).value;
    const s = rig.sims[1]!.state();
    expect(t.latDeg).toBeCloseTo(s.latDeg, 3); // degrees, not degE7
    expect(t.lonDeg).toBeCloseTo(s.lonDeg, 3);
    expect(Math.abs(t.altRelM - s.altRelM)).toBeLessThan(3); // metres, not mm
    expect(Math.abs(t.altAmslM - t.altRelM - 12)).toBeLessThan(2); // dock at 12 m AMSL
    expect(Math.abs(t.groundSpeedMps - s.groundSpeedMps)).toBeLessThan(3); // m/s, not cm/s
    expect(t.headingDeg).toBeGreaterThanOrEqual(0);
    expect(t.headingDeg).toBeLessThan(360);
    expect(t.batteryV).toBeGreaterThan(5); // volts, not mV
    expect(t.batteryV).toBeLessThan(60);
    expect(t.batteryPct).toBeLessThanOrEqual(100);
    expect(t).toMatchObject({ mode: 'GUIDED', armed: true });
    expect(t.gpsFix).toBeGreaterThanOrEqual(3);
    expect(t.linkQualityPct).toBeGreaterThan(90);
    expect(Math.abs(t.tsMs - Date.now())).toBeLessThan(2000);

    // Retained status, as a client connecting later sees it.
    const late = await connectAs(rig.broker!, 'web', { clientId: 'web:late' });
    try {
      const st = nextMessage(late, (m) => m.topic === deviceTopic('drone', 'drone-1', 'status') && m.retain);
      await late.subscribeAsync(deviceTopic('drone', 'drone-1', 'status'), { qos: 1 });
      const status = JSON.parse((await st).payload) as StatusPayload;
      expect(status).toMatchObject({ state: 'online', via: 'control' });
      expect(checkPayload('drone', 'status', JSON.stringify(status)).ok).toBe(true);
    } finally {
      await late.endAsync();
    }
  });

  it('announces link loss (offline status + link_lost event) and regain, and relays STATUSTEXT', async () => {
    rig = await startRig({ broker: true, sim: { prearmDelayS: 600 }, timeouts: { armReadyBudgetMs: 100 } });
    web = await connectAs(rig.broker!, 'telemetry', { clientId: 'telemetry:t' });
    await web.subscribeAsync('ringwatch/v1/drone/drone-1/+', { qos: 1 });
    const v = rig.svc.vehicle('drone-1');
    await waitFor(() => v.online && v.telemetry() !== undefined, 5000, 'online');

    const prearm = nextMessage(web, (m) => m.topic.endsWith('/event') && m.payload.includes('Need Position Estimate'));
    await v.action.setMode('GUIDED');
    await v.action.arm();
    const ev = JSON.parse((await prearm).payload) as DroneEvent;
    expect(ev).toMatchObject({ type: 'statustext', severity: 'critical' });
    expect(checkPayload('drone', 'event', JSON.stringify(ev)).ok).toBe(true);

    const offline = nextMessage(web, (m) => m.topic.endsWith('/status') && m.payload.includes('offline'));
    const lostEv = nextMessage(web, (m) => m.topic.endsWith('/event') && m.payload.includes('link_lost'));
    const regained = nextMessage(web, (m) => m.topic.endsWith('/event') && m.payload.includes('link_regained'), 8000);
    rig.sims[0]!.injectFault({ kind: 'link_loss', durationS: 15 });
    expect(JSON.parse((await offline).payload)).toMatchObject({ state: 'offline', reason: 'mavlink_link_lost', via: 'control' });
    expect(JSON.parse((await lostEv).payload)).toMatchObject({ type: 'link_lost', severity: 'high' });
    const online = nextMessage(web, (m) => m.topic.endsWith('/status') && m.payload.includes('"online"'), 8000);
    await regained;
    await online;
  });

  it('marks every drone offline (retained) when the service closes', async () => {
    rig = await startRig({ broker: true });
    const v = rig.svc.vehicle('drone-1');
    await waitFor(() => v.online, 5000, 'online');
    await rig.svc.close();
    web = await connectAs(rig.broker!, 'telemetry', { clientId: 'telemetry:t' });
    const st = nextMessage(web, (m) => m.topic === deviceTopic('drone', 'drone-1', 'status'));
    await web.subscribeAsync(deviceTopic('drone', 'drone-1', 'status'), { qos: 1 });
    expect(JSON.parse((await st).payload)).toMatchObject({ state: 'offline', reason: 'control service stopped' });
  });
});
