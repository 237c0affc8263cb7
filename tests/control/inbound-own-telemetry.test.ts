import { afterEach, describe, expect, it } from 'vitest';
import { startRig, type Rig } from './helpers/rig.ts';
import { until } from '../helpers/wait.ts';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/**
 * Issue 13 item 1: control's own drone state reaches its consumers in-process; the copy
 * the broker sends back is neither parsed nor validated again. A real broker, a real
 * sim drone over loopback UDP.
 */
describe('control’s own telemetry', () => {
  it('is handed over in-process by the gateway, and the broker’s copy skipped by the inbound router', async () => {
    rig = await startRig({ broker: true });
    const inbound = rig.svc.inbound!;
    const droneId = rig.drones[0]!.id;
    const inProcess: { id: string; latDeg: number }[] = [];
    const fromBroker: string[] = [];
    rig.svc.gateway!.onTelemetry((id, t) => inProcess.push({ id, latDeg: t.latDeg }));
    await inbound.on('drone', 'telemetry', (m) => fromBroker.push(m.deviceId));
    // One subscription for the filter, whoever else registers for it later.
    await inbound.on('drone', 'telemetry', () => undefined);
    expect(inbound.filters.filter((f) => f === 'ringwatch/v1/drone/+/telemetry')).toHaveLength(1);

    await until(() => (inProcess.length >= 3 && inbound.counters.ownSkipped >= 3) || undefined, 'three samples in-process and three broker copies skipped', 30_000);
    expect(inProcess.every((s) => s.id === droneId && Number.isFinite(s.latDeg))).toBe(true);
    expect(fromBroker).toEqual([]);
    expect(inbound.counters.dropped).toMatchObject({ schema: 0, not_json: 0, oversize: 0, bad_topic: 0 });
  }, 60_000);
});
