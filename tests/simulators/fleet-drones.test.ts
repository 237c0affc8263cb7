import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { minimal } from 'node-mavlink';
import { MavlinkLink, type MavlinkMessage } from '../../mavlink/link.ts';
import { UdpDuplex } from '../../mavlink/transports/udp.ts';
import { startSimFleet, type SimFleet } from '../../simulators/fleet.ts';
import { connectAs, startBroker, type TestBroker } from '../helpers/broker.ts';
import { recorder } from './fleet-recorder.ts';

let broker: TestBroker;
let control: MqttClient;
let fleet: SimFleet | undefined;
let gcs: MavlinkLink | undefined;

beforeEach(async () => {
  broker = await startBroker();
  control = await connectAs(broker, 'control', { clientId: 'control:fd' });
});

afterEach(async () => {
  gcs?.close();
  await fleet?.close();
  fleet = undefined;
  await control.endAsync();
  await broker.close();
});

function gcsHeartbeat(): minimal.Heartbeat {
  const hb = new minimal.Heartbeat();
  hb.type = minimal.MavType.GCS;
  hb.autopilot = minimal.MavAutopilot.INVALID;
  hb.mavlinkVersion = 3;
  return hb;
}

describe('sim fleet with real simulated drones', () => {
  it('serves each drone on its own UDP port, carries its speaker along, and applies an injected link loss', async () => {
    const rec = recorder(control);
    await control.subscribeAsync('ringwatch/v1/speaker/drone-1-spk/telemetry');
    fleet = await startSimFleet({
      site: broker.site,
      secrets: broker.secrets,
      mqttUrl: broker.url,
      speed: 10,
      drones: ['drone-1'],
      speakers: ['drone-1-spk'],
      sensors: 'none',
      droneUdpPorts: 'any',
    });
    const drone = fleet.drones.get('drone-1')!;
    expect(drone.systemId).toBe(1);
    gcs = new MavlinkLink(await UdpDuplex.open({ bindPort: 0, remote: { host: '127.0.0.1', port: drone.udpPort! } }), { systemId: 255, componentId: 190 });
    const heartbeats: number[] = [];
    gcs.on('message', (m: MavlinkMessage) => {
      if (m.msgid === minimal.Heartbeat.MSG_ID && m.sysid === 1) heartbeats.push(Date.now());
    });
    gcs.send(gcsHeartbeat());
    await expect.poll(() => heartbeats.length, { timeout: 5000 }).toBeGreaterThan(0);

    const st = drone.state();
    const tele = await rec.waitFor((m) => m.channel === 'telemetry', 'speaker telemetry');
    expect(tele.body['latDeg']).toBeCloseTo(st.latDeg, 6);
    expect(tele.body['lonDeg']).toBeCloseTo(st.lonDeg, 6);

    // 10 simulated seconds of silence at 10x = about 1 s without a heartbeat.
    await fleet.injectFault({ device: 'drone-1', kind: 'link_loss', durationS: 10 });
    const cutAt = Date.now();
    await new Promise((r) => setTimeout(r, 400)); // absence of traffic cannot be awaited as an event
    expect(heartbeats.filter((t) => t > cutAt + 100)).toEqual([]);
    gcs.send(gcsHeartbeat());
    await expect.poll(() => heartbeats.filter((t) => t > cutAt + 500).length, { timeout: 5000 }).toBeGreaterThan(0);
    const resumedAfterMs = heartbeats.find((t) => t > cutAt + 500)! - cutAt;
    expect(resumedAfterMs).toBeGreaterThan(800);
  });

  it('a udp:// drone speaks first to the ground station listening on that port', async () => {
    const ground = await UdpDuplex.open({ bindPort: 0 });
    gcs = new MavlinkLink(ground, { systemId: 255, componentId: 190 });
    const site = { ...broker.site, drones: broker.site.drones.map((d, i) => (i === 0 ? { ...d, mavlink: { ...d.mavlink, url: `udp://127.0.0.1:${ground.localPort}` } } : d)) };
    const first = new Promise<MavlinkMessage>((resolve) => gcs!.on('message', (m) => m.msgid === minimal.Heartbeat.MSG_ID && resolve(m)));
    fleet = await startSimFleet({ site, secrets: broker.secrets, mqttUrl: broker.url, speed: 10, drones: ['drone-1'], speakers: 'none', sensors: 'none' });
    const hb = await first;
    expect(hb.sysid).toBe(1);
    expect((hb.data as minimal.Heartbeat).autopilot).toBe(minimal.MavAutopilot.ARDUPILOTMEGA);
  });
});
