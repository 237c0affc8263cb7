import mqtt from 'mqtt';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { connectAs, credentialsFor, nextMessage, startBroker, type TestBroker } from '../helpers/broker.ts';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startBroker();
});
afterAll(async () => {
  await broker.close();
});

const STATUS = 'ringwatch/v1/speaker/sp-7/status';
const offlineWill = { topic: STATUS, payload: Buffer.from(JSON.stringify({ tsMs: 0, state: 'offline', reason: 'connection_lost' })), qos: 1 as const, retain: true };

test('status is retained, and the will announces a dropped device as offline (retained too)', async () => {
  const device = await connectAs(broker, 'sp-7', { will: offlineWill });
  await device.publishAsync(STATUS, JSON.stringify({ tsMs: Date.now(), state: 'online', firmware: '1.2.0' }), { qos: 1, retain: true });

  // A subscriber arriving later learns the device is online from the retained status.
  const web = await connectAs(broker, 'web');
  const online = nextMessage(web, (m) => m.topic === STATUS);
  await web.subscribeAsync('ringwatch/v1/+/+/status', { qos: 1 });
  expect(await online).toMatchObject({ retain: true });
  expect(JSON.parse((await online).payload)).toMatchObject({ state: 'online' });

  // The device drops without DISCONNECT: the broker publishes its will.
  const offline = nextMessage(web, (m) => m.topic === STATUS && JSON.parse(m.payload).state === 'offline');
  device.stream.destroy();
  expect(JSON.parse((await offline).payload)).toMatchObject({ state: 'offline', reason: 'connection_lost' });

  // …and it replaced the retained status.
  const late = await connectAs(broker, 'telemetry');
  const retained = nextMessage(late, (m) => m.topic === STATUS);
  await late.subscribeAsync(STATUS);
  expect(JSON.parse((await retained).payload)).toMatchObject({ state: 'offline' });
  await Promise.all([web.endAsync(true), late.endAsync(true), device.endAsync(true)]);
});

test.each([
  ['on another device\'s topic', { ...offlineWill, topic: 'ringwatch/v1/speaker/sp-8/status' }],
  ['with an invalid payload', { ...offlineWill, payload: Buffer.from('{"state":"gone"}') }],
  ['on $SYS', { ...offlineWill, topic: '$SYS/x' }],
])('a will %s is refused at CONNECT', async (_name, will) => {
  const before = broker.metrics().rejects.will ?? 0;
  const err = await mqtt.connectAsync(broker.url, { ...credentialsFor(broker, 'sp-7'), will }).then(
    async (c) => {
      await c.endAsync(true);
      return undefined;
    },
    (e: Error) => e,
  );
  expect(err?.message).toMatch(/Not authorized/);
  expect(broker.metrics().rejects.will).toBe(before + 1);
});
