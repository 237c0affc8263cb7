import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import type { DroneFault, SimDroneHandle, SimDroneOptions, SimDroneState } from '../../simulators/drone/types.ts';
import { startSimFleet, type SimFleet } from '../../simulators/fleet.ts';
import { parseScenario } from '../../simulators/scenario/load.ts';
import { connectAs, startBroker, type TestBroker } from '../helpers/broker.ts';
import { recorder } from './fleet-recorder.ts';

/**
 * Stand-in vehicles that record the faults they are given and move when told to: this
 * file tests the fleet's routing and timing; the vehicle itself has its own tests.
 */
function fakeDrones() {
  const made = new Map<string, { handle: SimDroneHandle; faults: DroneFault[]; clears: number; state: SimDroneState }>();
  const startDrone = async (o: SimDroneOptions): Promise<SimDroneHandle> => {
    const state: SimDroneState = { latDeg: o.drone.dock.latDeg, lonDeg: o.drone.dock.lonDeg, altRelM: 0, altAmslM: o.drone.dock.altitudeAmslM, headingDeg: 0, groundSpeedMps: 0, batteryPct: 100, mode: 'STABILIZE', armed: false, missionSeq: 0, gpsFix: 3 };
    const rec = {
      faults: [] as DroneFault[],
      clears: 0,
      state,
      handle: {
        id: o.drone.id,
        systemId: o.drone.mavlink.systemId,
        udpPort: o.udpPort,
        state: () => ({ ...state }),
        injectFault: (f: DroneFault) => void rec.faults.push(f),
        clearFaults: () => void rec.clears++,
        close: async () => {},
      } as SimDroneHandle,
    };
    made.set(o.drone.id, rec);
    return rec.handle;
  };
  return { made, startDrone };
}

let broker: TestBroker;
let control: MqttClient;
let rec: ReturnType<typeof recorder>;
let fleet: SimFleet | undefined;
let n = 0;

beforeEach(async () => {
  broker = await startBroker();
  control = await connectAs(broker, 'control', { clientId: `control:f${++n}` });
  rec = recorder(control);
  await control.subscribeAsync('ringwatch/v1/+/+/#', { qos: 1 });
});

afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
  await control.endAsync();
  await broker.close();
});

const SCENARIO = `version: 1
name: fleet test
speed: 20
devices:
  drones: [drone-1, drone-2]
  speakers: [sp-5, drone-1-spk]
  sensors: [cp-3-perimeter, cp-3-crowd]
background: { randomEvents: false, sensorReportIntervalS: 5, speakerTelemetryIntervalS: 2 }
timeline:
  - at: 1s
    event: { checkpoint: cp-3, type: perimeter_intrusion, text: "fence zone 3" }
  - at: 2s
    fault: { device: sp-5, kind: amplifier_fault }
  - at: 3s
    fault: { device: drone-2, kind: link_loss, durationS: 20 }
  - at: 3s
    fault: { device: drone-1, kind: packet_loss, pct: 30, durationS: 2 }
  - at: 4s
    fault: { device: cp-3-crowd, kind: offline, durationS: 2 }
`;

describe('sim fleet', () => {
  it('starts the selected devices and plays the scenario: events at the scripted checkpoint, faults applied and timed', async () => {
    const drones = fakeDrones();
    const scenario = parseScenario(SCENARIO, broker.site);
    const lines: string[] = [];
    fleet = await startSimFleet({ site: broker.site, secrets: broker.secrets, mqttUrl: broker.url, scenario, startDrone: drones.startDrone, log: (l) => lines.push(l) });
    expect([...fleet.drones.keys()]).toEqual(['drone-1', 'drone-2']);
    expect([...fleet.speakers.keys()].sort()).toEqual(['drone-1-spk', 'sp-5']);
    expect([...fleet.sensors.keys()]).toEqual(['cp-3-perimeter', 'cp-3-crowd']);
    // Site ports: udpout://127.0.0.1:14561 means the vehicle listens on 14561.
    expect(fleet.drones.get('drone-1')!.udpPort).toBe(14561);

    const ev = await rec.waitFor((m) => m.channel === 'event' && m.deviceId === 'cp-3-perimeter', 'intrusion event');
    expect(ev.body).toMatchObject({ type: 'perimeter_intrusion', checkpointId: 'cp-3', text: 'fence zone 3' });
    const amp = await rec.waitFor((m) => m.channel === 'event' && m.deviceId === 'sp-5', 'amplifier fault event');
    expect(amp.body).toMatchObject({ type: 'fault' });
    await rec.waitFor((m) => m.deviceId === 'cp-3-crowd' && m.channel === 'status' && m.body['state'] === 'offline', 'sensor offline');
    await rec.waitFor((m) => m.deviceId === 'cp-3-crowd' && m.channel === 'status' && m.body['state'] === 'online' && (m.body['tsMs'] as number) > (ev.body['tsMs'] as number), 'sensor back online after 2 s');
    await fleet.scenarioRun!.done;
    expect(fleet.scenarioRun!.records.map((r) => r.summary)).toEqual([
      'event perimeter_intrusion at cp-3-perimeter (checkpoint cp-3)',
      'fault amplifier_fault on sp-5',
      'fault link_loss on drone-2 for 20s',
      'fault packet_loss on drone-1 30% for 2s',
      'fault offline on cp-3-crowd for 2s',
    ]);
    expect(fleet.scenarioRun!.records.every((r) => r.error === undefined)).toBe(true);
    // Ran in order and at the accelerated pace: t=4s at 20x is 200 ms.
    const ranAt = fleet.scenarioRun!.records.map((r) => r.ranAtMs);
    expect([...ranAt].sort((a, b) => a - b)).toEqual(ranAt);
    expect(ranAt.at(-1)!).toBeGreaterThanOrEqual(190);
    expect(ranAt.at(-1)!).toBeLessThan(2000);

    expect(drones.made.get('drone-2')!.faults).toEqual([{ kind: 'link_loss', durationS: 20 }]);
    // The drone times its own link loss; the fleet times the packet loss (2 s → 100 ms).
    expect(drones.made.get('drone-2')!.clears).toBe(0);
    await rec.waitFor(() => drones.made.get('drone-1')!.clears === 1, 'packet loss cleared');
    expect(drones.made.get('drone-1')!.faults).toEqual([{ kind: 'packet_loss', pct: 30 }]);
    expect(lines.some((l) => l.includes('t=1s event perimeter_intrusion at cp-3-perimeter'))).toBe(true);
  });

  it('a drone-mounted speaker reports its drone’s position as the drone moves', async () => {
    const drones = fakeDrones();
    const scenario = parseScenario(SCENARIO.replace(/timeline:[\s\S]*$/, 'timeline: []\n'), broker.site);
    fleet = await startSimFleet({ site: broker.site, secrets: broker.secrets, mqttUrl: broker.url, scenario, startDrone: drones.startDrone, droneUdpPorts: 'any' });
    const dock = broker.site.drones[0]!.dock;
    await rec.waitFor((m) => m.deviceId === 'drone-1-spk' && m.channel === 'telemetry' && m.body['latDeg'] === dock.latDeg, 'speaker at the dock');
    const st = drones.made.get('drone-1')!.state;
    st.latDeg = 30.2701;
    st.lonDeg = 120.0612;
    await rec.waitFor((m) => m.deviceId === 'drone-1-spk' && m.channel === 'telemetry' && m.body['latDeg'] === 30.2701 && m.body['lonDeg'] === 120.0612, 'speaker moved with drone-1');
    const sp5 = rec.seen.find((m) => m.deviceId === 'sp-5' && m.channel === 'telemetry')!;
    const site5 = broker.site.speakers.find((s) => s.id === 'sp-5')!.position;
    expect(sp5.body).toMatchObject({ latDeg: site5.latDeg, lonDeg: site5.lonDeg });
  });

  it('offers faults and events over its HTTP API, validating bodies and naming the field', async () => {
    const drones = fakeDrones();
    const scenario = parseScenario(SCENARIO.replace(/timeline:[\s\S]*$/, 'timeline: []\n'), broker.site);
    fleet = await startSimFleet({ site: broker.site, secrets: broker.secrets, mqttUrl: broker.url, scenario, startDrone: drones.startDrone, droneUdpPorts: 'any', httpPort: 0 });
    const url = fleet.httpUrl!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const post = (path: string, body: unknown) => fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

    const devices = (await (await fetch(url + '/devices')).json()) as { devices: { id: string; kind: string; online: boolean }[] };
    expect(devices.devices.map((d) => d.id).sort()).toEqual(['cp-3-crowd', 'cp-3-perimeter', 'drone-1', 'drone-1-spk', 'drone-2', 'sp-5']);
    expect(devices.devices.filter((d) => d.kind !== 'drone').every((d) => d.online)).toBe(true);

    let r = await post('/faults', { device: 'sp-5', kind: 'silent', bogus: 1 });
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({ error: 'invalid_body', message: 'field /: unknown property "bogus"' });
    r = await post('/faults', { device: 'drone-1', kind: 'battery_sag' });
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ error: 'missing_param', message: 'field /pct: is required for battery_sag' });
    r = await post('/faults', { device: 'sp-1', kind: 'silent' });
    expect(r.status).toBe(409);
    r = await post('/faults', { device: 'zz-1', kind: 'silent' });
    expect(r.status).toBe(404);
    r = await post('/faults', { device: 'cp-3-crowd', kind: 'amplifier_fault' });
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ error: 'unsupported_fault' });

    r = await post('/faults', { device: 'drone-2', kind: 'gps_loss', durationS: 5 });
    expect(r.status).toBe(200);
    expect(drones.made.get('drone-2')!.faults).toEqual([{ kind: 'gps_loss', durationS: 5 }]);
    r = await post('/faults', { device: 'sp-5', kind: 'offline' });
    expect(r.status).toBe(200);
    await rec.waitFor((m) => m.deviceId === 'sp-5' && m.channel === 'status' && m.body['state'] === 'offline', 'sp-5 offline');
    r = await fetch(url + '/faults/sp-5', { method: 'DELETE' });
    expect(r.status).toBe(200);
    await rec.waitFor((m) => m.deviceId === 'sp-5' && m.channel === 'status' && m.body['state'] === 'online' && rec.seen.indexOf(m) > rec.seen.findIndex((x) => x.deviceId === 'sp-5' && x.body['state'] === 'offline'), 'sp-5 online again');

    r = await post('/events', { checkpoint: 'cp-3', type: 'crowd_count', crowdCount: 512, severity: 'high' });
    expect(r.status).toBe(200);
    await rec.waitFor((m) => m.deviceId === 'cp-3-crowd' && m.channel === 'event' && m.body['crowdCount'] === 512, 'scripted crowd count');
    r = await post('/events', { checkpoint: 'cp-3', type: 'vehicle_pass' });
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ error: 'cannot_emit', message: expect.stringContaining('/type') });
  });

  it('fails fast naming the device when a secret is wrong, and leaves nothing running', async () => {
    const drones = fakeDrones();
    const secrets = { ...broker.secrets, devices: { ...broker.secrets.devices, 'sp-2': 'wrong-secret' } };
    const t0 = Date.now();
    await expect(
      startSimFleet({ site: broker.site, secrets, mqttUrl: broker.url, startDrone: drones.startDrone, droneUdpPorts: 'any', drones: 'none', speakers: ['sp-1', 'sp-2', 'sp-3'], sensors: 'none' }),
    ).rejects.toThrow(/sp-2: cannot connect to mqtt:\/\/127\.0\.0\.1:\d+: .*(Not authorized|Bad username)/);
    expect(Date.now() - t0).toBeLessThan(5000);
    const rec2 = recorder(control);
    await control.subscribeAsync('ringwatch/v1/speaker/sp-1/status', { qos: 1 });
    const last = await rec2.waitFor((m) => m.deviceId === 'sp-1' && m.channel === 'status' && m.retain, 'retained sp-1 status');
    expect(last.body).toMatchObject({ state: 'offline', reason: 'shutdown' });
  });
});
