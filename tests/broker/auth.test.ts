import mqtt from 'mqtt';
import { afterEach, beforeAll, afterAll, describe, expect, test } from 'vitest';
import { connectAs, credentialsFor, demoSite, nextMessage, startBroker, type TestBroker } from '../helpers/broker.ts';

// test.each rows are built before beforeAll runs; credentialsFor only needs the secrets.
const demo = { secrets: demoSite().secrets };

let broker: TestBroker;
const clients: mqtt.MqttClient[] = [];
beforeAll(async () => {
  broker = await startBroker();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
});
afterAll(async () => {
  await broker.close();
});

async function connect(id: string, extra: mqtt.IClientOptions = {}): Promise<mqtt.MqttClient> {
  const c = await connectAs(broker, id, extra);
  clients.push(c);
  return c;
}

/** Attempts a connection and returns the refusal (or undefined if it was accepted). */
async function refusal(opts: mqtt.IClientOptions): Promise<Error | undefined> {
  const c = mqtt.connect(broker.url, { reconnectPeriod: 0, connectTimeout: 5_000, ...opts });
  clients.push(c);
  return new Promise((resolve) => {
    c.once('connect', () => resolve(undefined));
    c.once('error', (err) => resolve(err));
  });
}

describe('authentication', () => {
  test.each(['sp-1', 'drone-1-spk', 'cp-1-anpr', 'control', 'telemetry', 'web'])('%s logs in with its site secret', async (id) => {
    const c = await connect(id);
    expect(c.connected).toBe(true);
  });

  test('services may run several instances as id:instance', async () => {
    const a = await connect('web', { clientId: 'web:1' });
    const b = await connect('web', { clientId: 'web:2' });
    expect(a.connected && b.connected).toBe(true);
    expect(broker.metrics().clients.web).toBe(2);
  });

  test('connected clients are counted by kind and uncounted on disconnect', async () => {
    const before = broker.metrics().clients;
    const s = await connect('sp-2');
    await connect('cp-2-anpr');
    expect(broker.metrics().clients).toMatchObject({ speaker: before.speaker + 1, sensor: before.sensor + 1 });
    await s.endAsync();
    await expect.poll(() => broker.metrics().clients.speaker).toBe(before.speaker);
  });

  test.each([
    ['wrong secret', { ...credentialsFor(demo, 'sp-1'), password: 'not-the-secret' }],
    ['another device\'s secret', { ...credentialsFor(demo, 'sp-1'), password: demo.secrets.devices['sp-2'] }],
    ['unknown user', { username: 'sp-99', password: 'x', clientId: 'sp-99' }],
    ['no username', { clientId: 'sp-1' }],
    ['drone without an MQTT secret (MAVLink only)', { username: 'drone-1', password: 'x', clientId: 'drone-1' }],
    ['a wrong client id with a wrong secret (nothing revealed)', { ...credentialsFor(demo, 'sp-1'), password: 'nope', clientId: 'sp-2' }],
  ])('refuses %s with CONNACK "not authorized"', async (_name, opts) => {
    const before = broker.metrics().rejects.auth ?? 0;
    const err = await refusal(opts as mqtt.IClientOptions);
    expect(err?.message).toMatch(/Not authorized/);
    expect(broker.metrics().rejects.auth).toBe(before + 1);
  });

  // With the right secret the caller already knows the identity: say what is wrong [MQTT-3.1.3-9].
  test.each([
    ['device with a client id other than its id', { ...credentialsFor(demo, 'sp-1'), clientId: 'sp-2' }],
    ['device with a random client id', { ...credentialsFor(demo, 'sp-1'), clientId: 'mqttjs_1234' }],
    ['service with a foreign client id', { ...credentialsFor(demo, 'control'), clientId: 'controller' }],
  ])('refuses %s with CONNACK "identifier rejected"', async (_name, opts) => {
    const before = broker.metrics().rejects.auth ?? 0;
    const err = await refusal(opts as mqtt.IClientOptions);
    expect(err?.message).toMatch(/Identifier rejected/);
    expect(broker.metrics().rejects.auth).toBe(before + 1);
  });

  test('a device cannot take over another device\'s session by reusing its client id', async () => {
    const victim = await connect('sp-3');
    const err = await refusal({ ...credentialsFor(broker, 'sp-4'), clientId: 'sp-3' });
    expect(err).toBeDefined();
    expect(victim.connected).toBe(true);
  });

  test('MQTT over WebSocket authenticates and delivers the same way', async () => {
    const ws = await mqtt.connectAsync(broker.wsUrl, credentialsFor(broker, 'web', 'ws'));
    clients.push(ws);
    await ws.subscribeAsync('ringwatch/v1/+/+/telemetry');
    const dev = await connect('sp-5');
    const got = nextMessage(ws, (m) => m.topic === 'ringwatch/v1/speaker/sp-5/telemetry');
    await dev.publishAsync('ringwatch/v1/speaker/sp-5/telemetry', JSON.stringify({ tsMs: 1, state: 'idle', volumePct: 10 }));
    expect(JSON.parse((await got).payload)).toMatchObject({ state: 'idle' });
    const refused = await mqtt.connectAsync(broker.wsUrl, { ...credentialsFor(broker, 'web', 'ws2'), password: 'bad' }).catch((e: Error) => e);
    expect((refused as Error).message).toMatch(/Not authorized/);
  });

  test('a refused subscription gets SUBACK 0x80 and the connection stays up', async () => {
    const dev = await connect('sp-6');
    const before = broker.metrics().rejects.subscribe ?? 0;
    const err = (await dev.subscribeAsync('ringwatch/v1/#').catch((e: unknown) => e)) as { packet?: { granted?: number[] } };
    expect(err.packet?.granted).toEqual([128]);
    expect(broker.metrics().rejects.subscribe).toBe(before + 1);
    const granted = await dev.subscribeAsync('ringwatch/v1/speaker/sp-6/cmd');
    expect(granted.map((g) => g.qos)).toEqual([0]);
    expect(dev.connected).toBe(true);
  });
});
