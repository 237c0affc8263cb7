import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { connectAs, nextMessage, startBroker, type TestBroker } from '../helpers/broker.ts';
import { encodePublishQos0, startRawFlood, type RawFlood } from './raw-mqtt.ts';

/**
 * One device floods unpaced QoS 0 telemetry as fast as TCP takes it. The broker must
 * stay up, shed (and count) the excess, push back on the flooder's socket, and keep
 * serving everyone else: their telemetry arrives in full and a command/ack round trip
 * completes during the flood.
 */
const FLOOD_MS = 2_000;
const GOOD = ['sp-2', 'sp-3', 'sp-4', 'sp-5'];
const R = 'ringwatch/v1';
const telemetry = (volumePct: number) => JSON.stringify({ tsMs: Date.now(), state: 'idle', volumePct, amplifierTempC: 31.5 });

let broker: TestBroker;
let flood: RawFlood | undefined;
const clients: MqttClient[] = [];
beforeAll(async () => {
  broker = await startBroker();
});
afterAll(async () => {
  await flood?.stop();
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await broker.close();
});

test('an unpaced QoS 0 flood from one client is shed while the others are served', async () => {
  const watcher = await connectAs(broker, 'telemetry');
  clients.push(watcher);
  await watcher.subscribeAsync(`${R}/#`);
  const received = new Map<string, number>();
  watcher.on('message', (topic) => received.set(topic, (received.get(topic) ?? 0) + 1));

  const control = await connectAs(broker, 'control');
  clients.push(control);
  await control.subscribeAsync(`${R}/+/+/ack`);
  const good = await Promise.all(GOOD.map((id) => connectAs(broker, id)));
  clients.push(...good);
  const target = good[3]!; // sp-5 answers commands
  await target.subscribeAsync(`${R}/speaker/sp-5/cmd`);
  target.on('message', (_t, payload) => {
    const cmd = JSON.parse(payload.toString()) as { id: string };
    target.publish(`${R}/speaker/sp-5/ack`, JSON.stringify({ id: cmd.id, tsMs: Date.now(), state: 'accepted' }), { qos: 1 });
  });

  flood = await startRawFlood({
    port: broker.port,
    clientId: 'sp-1',
    username: 'sp-1',
    password: broker.secrets.devices['sp-1']!,
    packet: encodePublishQos0(`${R}/speaker/sp-1/telemetry`, telemetry(40)),
  });

  // Well-behaved devices: 20 Hz each for the length of the flood.
  let sent = 0;
  const startedMs = Date.now();
  const ticker = setInterval(() => {
    good.forEach((c, i) => c.publish(`${R}/speaker/${GOOD[i]}/telemetry`, telemetry(sent % 100)));
    sent++;
  }, 50);

  // A command and its ack cross the broker while the flood is on.
  const ack = nextMessage(control, (m) => m.topic === `${R}/speaker/sp-5/ack` && m.payload.includes('"cmd-flood-1"'), 5_000);
  const cmdSentMs = Date.now();
  await control.publishAsync(`${R}/speaker/sp-5/cmd`, JSON.stringify({ id: 'cmd-flood-1', tsMs: cmdSentMs, issuer: 'operator', action: 'set_volume', volumePct: 30 }), { qos: 1 });
  await ack;
  const roundTripMs = Date.now() - cmdSentMs;

  await new Promise((r) => setTimeout(r, Math.max(0, FLOOD_MS - (Date.now() - startedMs))));
  clearInterval(ticker);
  const flooderStillConnected = !flood.socket.destroyed;
  const { packetsWritten } = await flood.stop();
  flood = undefined;

  // Every well-behaved message arrives (QoS 0 over loopback: no loss allowed).
  await expect
    .poll(() => GOOD.map((id) => received.get(`${R}/speaker/${id}/telemetry`) ?? 0), { timeout: 5_000 })
    .toEqual(GOOD.map(() => sent));
  expect(roundTripMs).toBeLessThan(1_000);

  const m = broker.metrics();
  const floodDelivered = received.get(`${R}/speaker/sp-1/telemetry`) ?? 0;
  // The flooder got its rate (100/s + burst 200), the rest was shed and counted…
  expect(floodDelivered).toBeGreaterThan(50);
  expect(floodDelivered).toBeLessThan(200 + 100 * (FLOOD_MS / 1000 + 2));
  expect(m.rejects.rate ?? 0).toBeGreaterThan(1_000);
  // …and the broker read only part of what the flooder wanted to send: TCP pushed back.
  expect(m.rejects.rate! + floodDelivered).toBeLessThanOrEqual(packetsWritten);
  // Being over the rate is not a reason to disconnect (the device may be buggy, not hostile).
  expect(flooderStillConnected).toBe(true);

  // The broker is alive and accepts newcomers.
  const late = await connectAs(broker, 'web');
  clients.push(late);
  expect(late.connected).toBe(true);
});
