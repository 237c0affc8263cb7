import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { collect, connectAs, nextMessage, startBroker, type TestBroker } from '../helpers/broker.ts';

/**
 * Issue 12 item 4: a device published retain=true on its own event topic; the broker
 * replayed it when control resubscribed, and the replayed sensor event dispatched a drone
 * again. Only `status` may be retained: elsewhere the publish is routed live, stored
 * unretained and counted.
 */
const R = 'ringwatch/v1';
let broker: TestBroker;
beforeAll(async () => {
  broker = await startBroker();
});
afterAll(async () => {
  await broker.close();
});

const now = () => Date.now();
const cases: [string, string, string, () => string][] = [
  ['sensor event', 'cp-1-perimeter', `${R}/sensor/cp-1-perimeter/event`, () => JSON.stringify({ id: `ev-${now()}`, tsMs: now(), type: 'perimeter_intrusion', severity: 'high', checkpointId: 'cp-1' })],
  ['speaker telemetry', 'sp-1', `${R}/speaker/sp-1/telemetry`, () => JSON.stringify({ tsMs: now(), state: 'idle', volumePct: 40 })],
  ['speaker ack', 'sp-2', `${R}/speaker/sp-2/ack`, () => JSON.stringify({ id: 'c-1', tsMs: now(), state: 'accepted' })],
];

describe('retained publishes outside status', () => {
  test.each(cases)('a retained %s is delivered live but never replayed to a later subscriber', async (_name, deviceId, topic, payload) => {
    const device = await connectAs(broker, deviceId);
    const live = await connectAs(broker, 'control', { clientId: `control:live-${deviceId}` });
    await live.subscribeAsync(topic, { qos: 1 });
    const before = broker.metrics().retainCleared;
    const body = payload();
    const arrived = nextMessage(live, (m) => m.topic === topic && m.payload === body);
    await device.publishAsync(topic, body, { qos: 1, retain: true });
    expect(await arrived).toMatchObject({ retain: false });
    expect(broker.metrics().retainCleared).toBe(before + 1);

    // Control "restarts" and resubscribes: nothing must be replayed. A retained status
    // published after the event proves the retained replay has been delivered by then.
    const late = await connectAs(broker, 'control', { clientId: `control:late-${deviceId}` });
    const got = collect(late);
    const statusTopic = topic.replace(/[^/]+$/, 'status');
    await device.publishAsync(statusTopic, JSON.stringify({ tsMs: now(), state: 'online' }), { qos: 1, retain: true });
    await late.subscribeAsync([topic, statusTopic], { qos: 1 });
    await expect.poll(() => got.some((m) => m.topic === statusTopic)).toBe(true);
    expect(got.filter((m) => m.topic === topic)).toEqual([]);
    await Promise.all([device.endAsync(true), live.endAsync(true), late.endAsync(true)]);
  });

  test('a retained status is still stored and replayed', async () => {
    const device = await connectAs(broker, 'sp-3');
    const topic = `${R}/speaker/sp-3/status`;
    await device.publishAsync(topic, JSON.stringify({ tsMs: now(), state: 'online' }), { qos: 1, retain: true });
    const late = await connectAs(broker, 'web');
    const replayed = nextMessage(late, (m) => m.topic === topic);
    await late.subscribeAsync(topic);
    expect(await replayed).toMatchObject({ retain: true });
    await Promise.all([device.endAsync(true), late.endAsync(true)]);
  });
});
