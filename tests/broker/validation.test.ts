import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { collect, connectAs, nextMessage, startBroker, type Received, type TestBroker } from '../helpers/broker.ts';

/**
 * Every refused publish is dropped (never routed), counted by reason, and the
 * publisher stays connected. "Not routed" is shown without sleeping: after each bad
 * publish the same client sends a good sentinel; MQTT keeps one client's messages in
 * order, so once the sentinel arrives the bad one would already have.
 */
let broker: TestBroker;
let watcher: MqttClient;
let device: MqttClient;
let seen: Received[];
let seq = 0;

const R = 'ringwatch/v1';
const telemetry = (extra: object = {}) => JSON.stringify({ tsMs: Date.now(), state: 'idle', volumePct: 40, ...extra });

beforeAll(async () => {
  broker = await startBroker();
  watcher = await connectAs(broker, 'control');
  await watcher.subscribeAsync([`${R}/#`]);
  seen = collect(watcher);
  device = await connectAs(broker, 'sp-1');
});
afterAll(async () => {
  await Promise.all([watcher.endAsync(true), device.endAsync(true)]);
  await broker.close();
});

async function sentinel(): Promise<void> {
  const id = ++seq;
  const arrived = nextMessage(watcher, (m) => m.topic === `${R}/speaker/sp-1/telemetry` && JSON.parse(m.payload).volumePct === id % 100);
  await device.publishAsync(`${R}/speaker/sp-1/telemetry`, telemetry({ volumePct: id % 100 }));
  await arrived;
}

describe('payload validation and topic rights on publish', () => {
  test('a valid payload is routed', async () => {
    await sentinel();
    expect(seen.some((m) => m.topic === `${R}/speaker/sp-1/telemetry`)).toBe(true);
  });

  test.each([
    ['malformed JSON', `${R}/speaker/sp-1/telemetry`, '{"tsMs": 1, state', 'not_json'],
    ['wrong schema (volume out of range)', `${R}/speaker/sp-1/telemetry`, telemetry({ volumePct: 150 }), 'schema'],
    ['wrong schema (unknown field)', `${R}/speaker/sp-1/telemetry`, telemetry({ colour: 'red' }), 'schema'],
    ['wrong schema (event missing id)', `${R}/speaker/sp-1/event`, JSON.stringify({ tsMs: 1, type: 'fault', severity: 'high' }), 'schema'],
    ['oversize payload', `${R}/speaker/sp-1/telemetry`, telemetry({ pad: 'x'.repeat(9000) }), 'oversize'],
    ['another device\'s id', `${R}/speaker/sp-2/telemetry`, telemetry(), 'acl'],
    ['another kind with its own id', `${R}/drone/sp-1/telemetry`, telemetry(), 'acl'],
    ['its own cmd topic', `${R}/speaker/sp-1/cmd`, JSON.stringify({ id: 'c1', tsMs: 1, issuer: 'x', action: 'set_volume', volumePct: 1 }), 'acl'],
    ['a service topic', `${R}/svc/ledger`, '{}', 'acl'],
    ['$SYS', '$SYS/broker/fake', 'x', 'sys_topic'],
  ])('%s is dropped, counted and the connection stays up', async (_name, topic, payload, reason) => {
    const before = broker.metrics().rejects[reason as 'acl'] ?? 0;
    const seenBefore = seen.length;
    await device.publishAsync(topic, payload, { qos: 1 }); // PUBACK still comes: 3.1.1 has no negative ack
    await sentinel();
    expect(seen.slice(seenBefore).filter((m) => m.topic === topic && m.payload === payload)).toEqual([]);
    expect(broker.metrics().rejects[reason as 'acl']).toBe(before + 1);
    expect(device.connected).toBe(true);
  });

  test('a command is never retained, status always is', async () => {
    const control = await connectAs(broker, 'control', { clientId: 'control:retain' });
    await control.publishAsync(`${R}/speaker/sp-9/cmd`, JSON.stringify({ id: 'c9', tsMs: 1, issuer: 'op', action: 'set_volume', volumePct: 5 }), { retain: true, qos: 1 });
    await control.publishAsync(`${R}/drone/drone-4/status`, JSON.stringify({ tsMs: 1, state: 'online', via: 'control' }), { retain: false, qos: 1 });
    const late = await connectAs(broker, 'telemetry');
    const retained = collect(late);
    await late.subscribeAsync(`${R}/#`);
    await expect.poll(() => retained.map((m) => m.topic)).toContain(`${R}/drone/drone-4/status`);
    expect(retained.find((m) => m.topic.endsWith('/cmd'))).toBeUndefined();
    await Promise.all([control.endAsync(true), late.endAsync(true)]);
  });

  test('a wildcard in a PUBLISH topic is a protocol error: the client is cut off, nothing is routed, others carry on', async () => {
    const rogue = await connectAs(broker, 'sp-2');
    const closed = new Promise<void>((r) => rogue.once('close', () => r()));
    const before = broker.metrics().rejects.wildcard ?? 0;
    const seenBefore = seen.length;
    rogue.publish(`${R}/speaker/+/telemetry`, telemetry());
    await closed;
    await sentinel();
    expect(seen.slice(seenBefore).filter((m) => m.topic.includes('+'))).toEqual([]);
    expect(broker.metrics().rejects.wildcard).toBe(before + 1);
    await rogue.endAsync(true);
  });
});
