import { afterAll, beforeAll, expect, test } from 'vitest';
import { WireClient } from '../../bench/lib/wire-client.ts';
import { connectAs, startBroker, type TestBroker } from '../helpers/broker.ts';

/**
 * A subscriber that stops reading must not stall everyone else or grow the broker's
 * memory without bound: past its backlog limit, routine QoS 0 telemetry to it is shed
 * (counted slow_consumer) while events (priority) are still queued for it.
 */
let broker: TestBroker;
beforeAll(async () => {
  broker = await startBroker({ limits: { maxSubscriberBacklogBytes: 64 * 1024 } });
});
afterAll(async () => {
  await broker.close();
});

const R = 'ringwatch/v1';
// Large routine messages (service reports, 64 KiB each) fill the loopback buffers quickly.
const report = (i: number) => JSON.stringify({ seq: i, pad: 'r'.repeat(64 * 1024) });
const event = (i: number) => JSON.stringify({ id: `ev-${i}`, tsMs: i, type: 'statustext', severity: 'info', text: 'x'.repeat(150) });

test('a stalled subscriber gets events but sheds routine messages; a healthy one gets everything', async () => {
  const stalled = await WireClient.connect(broker.port, 'telemetry', 'telemetry', broker.secrets.services['telemetry']!);
  expect(await stalled.subscribe(`${R}/#`, 0)).toBe(0);
  stalled.socket.pause(); // stops reading: the kernel buffers fill, then the broker's queue for it

  const healthy = await connectAs(broker, 'web');
  await healthy.subscribeAsync([`${R}/svc/#`, `${R}/+/+/event`]);
  let healthyGot = 0;
  healthy.on('message', () => healthyGot++);

  const control = await connectAs(broker, 'control');
  const TELEMETRY = 400; // 26 MB: far more than loopback buffers plus the 64 KiB backlog limit
  const EVENTS = 100;
  for (let i = 0; i < TELEMETRY; i++) {
    control.publish(`${R}/svc/reports`, report(i));
    if (i % (TELEMETRY / EVENTS) === 0) control.publish(`${R}/drone/drone-1/event`, event(i));
    if (i % 20 === 19) await new Promise((r) => setImmediate(r));
  }
  await control.publishAsync(`${R}/drone/drone-1/event`, event(TELEMETRY), { qos: 1 });

  // The healthy subscriber was not held back by the stalled one.
  // (within 5 s: were publishers waiting on the stalled socket, only the 10 s drain timeout would free them)
  await expect.poll(() => healthyGot, { timeout: 5_000 }).toBe(TELEMETRY + EVENTS + 1);
  expect(broker.metrics().rejects.slow_consumer ?? 0).toBeGreaterThan(0);

  // Once the stalled subscriber reads again, every event is there; telemetry was shed.
  let events = 0;
  let tel = 0;
  stalled.onPublish = (topic) => (topic.endsWith('/event') ? events++ : topic.endsWith('/reports') ? tel++ : undefined);
  stalled.socket.resume();
  await expect.poll(() => events, { timeout: 10_000 }).toBe(EVENTS + 1);
  expect(tel).toBeLessThan(TELEMETRY);
  stalled.close();
  await Promise.all([healthy.endAsync(true), control.endAsync(true)]);
});
