import { afterAll, beforeAll, expect, test } from 'vitest';
import { connectAs, nextMessage, startBroker, type TestBroker } from '../helpers/broker.ts';
import { startRedis } from './redis-server.ts';

/** Two broker instances on one Redis act as one broker (mqemitter-redis + aedes-persistence-redis). */
let redis: Awaited<ReturnType<typeof startRedis>>;
let a: TestBroker;
let b: TestBroker;
beforeAll(async () => {
  redis = await startRedis();
  a = await startBroker({ redis: redis.url, id: 'broker-a' });
  b = await startBroker({ redis: redis.url, id: 'broker-b' });
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await redis?.close();
});

test('a message published on one instance reaches a subscriber on the other', async () => {
  const sub = await connectAs(b, 'telemetry');
  await sub.subscribeAsync('ringwatch/v1/+/+/telemetry', { qos: 1 });
  const dev = await connectAs(a, 'sp-1');
  const payload = JSON.stringify({ tsMs: Date.now(), state: 'playing', volumePct: 70 });
  // Redis pub/sub subscription of instance b may lag its SUBACK slightly: publish until it lands.
  const got = nextMessage(sub, (m) => m.topic === 'ringwatch/v1/speaker/sp-1/telemetry', 10_000);
  const pump = setInterval(() => void dev.publishAsync('ringwatch/v1/speaker/sp-1/telemetry', payload, { qos: 1 }), 100);
  try {
    expect((await got).payload).toBe(payload);
  } finally {
    clearInterval(pump);
  }
  expect(a.metrics().messagesIn).toBeGreaterThan(0);
  expect(b.metrics().messagesOut).toBeGreaterThan(0);
  await Promise.all([sub.endAsync(true), dev.endAsync(true)]);
});

test('a retained status stored through one instance is served by the other', async () => {
  const dev = await connectAs(a, 'sp-2');
  const status = JSON.stringify({ tsMs: Date.now(), state: 'online' });
  await dev.publishAsync('ringwatch/v1/speaker/sp-2/status', status, { qos: 1, retain: true });
  const web = await connectAs(b, 'web');
  const got = nextMessage(web, (m) => m.topic === 'ringwatch/v1/speaker/sp-2/status');
  await web.subscribeAsync('ringwatch/v1/speaker/sp-2/status');
  expect(await got).toMatchObject({ payload: status, retain: true });
  await Promise.all([web.endAsync(true), dev.endAsync(true)]);
});
