import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openRawSession, remainingLength, str, type RawSession } from '../broker/raw-mqtt.ts';
import { collect, connectAs, nextMessage, startBroker, type Received, type TestBroker } from '../helpers/broker.ts';

/**
 * Issue 12 item 12: MQTT 3.1.1 conformance at the door. Each row sends raw packets and
 * cites the normative statement it checks (OASIS MQTT 3.1.1, numbered statements). A
 * "close" expectation means the broker must close the network connection, for a
 * protocol violation [MQTT-4.8.0-1]; when a CONNACK is expected first it is given.
 */
const R = 'ringwatch/v1';
let broker: TestBroker;
let watcher: MqttClient;
let seen: Received[];

beforeAll(async () => {
  broker = await startBroker();
  watcher = await connectAs(broker, 'control', { clientId: 'control:watch' });
  await watcher.subscribeAsync(`${R}/#`, { qos: 1 });
  seen = collect(watcher);
});
afterAll(async () => {
  await watcher.endAsync(true);
  await broker.close();
});

// ---- packet builders (raw bytes, so malformed packets can be written) ----
const packet = (first: number, body: Buffer) => Buffer.concat([Buffer.from([first]), remainingLength(body.length), body]);
const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const bytes = (b: Buffer) => Buffer.concat([u16(b.length), b]);

interface ConnectSpec {
  protocolName?: string;
  level?: number;
  /** Overrides the flags byte computed from the fields below. */
  flags?: number;
  clean?: boolean;
  keepaliveS?: number;
  clientId?: string | Buffer;
  username?: string | Buffer;
  password?: string;
  will?: { topic: string; payload: string; qos: number; retain: boolean };
}

function connectPacket(deviceId: string, spec: ConnectSpec = {}): Buffer {
  const username = spec.username ?? deviceId;
  const password = spec.password ?? broker.secrets.devices[deviceId] ?? '';
  const will = spec.will;
  let flags = 0x80 | 0x40 | ((spec.clean ?? true) ? 0x02 : 0);
  if (will) flags |= 0x04 | (will.qos << 3) | (will.retain ? 0x20 : 0);
  const clientId = spec.clientId ?? deviceId;
  const body = Buffer.concat([
    str(spec.protocolName ?? 'MQTT'),
    Buffer.from([spec.level ?? 4, spec.flags ?? flags]),
    u16(spec.keepaliveS ?? 30),
    typeof clientId === 'string' ? str(clientId) : bytes(clientId),
    ...(will ? [str(will.topic), str(will.payload)] : []),
    typeof username === 'string' ? str(username) : bytes(username),
    str(password),
  ]);
  return packet(0x10, body);
}

const publish = (topic: string | Buffer, payload: string, opts: { qos?: number; id?: number; dup?: boolean; retain?: boolean; first?: number } = {}) => {
  const qos = opts.qos ?? 0;
  const first = opts.first ?? (0x30 | (opts.dup ? 0x08 : 0) | (qos << 1) | (opts.retain ? 1 : 0));
  const t = typeof topic === 'string' ? str(topic) : bytes(topic);
  return packet(first, Buffer.concat([t, qos > 0 ? u16(opts.id ?? 1) : Buffer.alloc(0), Buffer.from(payload)]));
};
const subscribe = (id: number, filters: [string | Buffer, number][], first = 0x82) =>
  packet(first, Buffer.concat([u16(id), ...filters.map(([f, q]) => Buffer.concat([typeof f === 'string' ? str(f) : bytes(f), Buffer.from([q])]))]));
const unsubscribe = (id: number, filters: string[], first = 0xa2) => packet(first, Buffer.concat([u16(id), ...filters.map(str)]));

const telemetry = (volumePct = 40) => JSON.stringify({ tsMs: Date.now(), state: 'idle', volumePct });
const CONNACK = (rc: number) => Buffer.from([0x20, 0x02, 0x00, rc]);
const startsWith = (b: Buffer, prefix: Buffer) => b.length >= prefix.length && b.subarray(0, prefix.length).equals(prefix);

// ---- the table ----
type Expect =
  | { close: true; connack?: number | 'none' }
  /** The broker answers exactly these bytes (after CONNACK when logged in) and keeps the connection. */
  | { reply: Buffer };

interface Row {
  statement: string;
  what: string;
  /** Log in as this device first (valid CONNECT, CONNACK 0 consumed). */
  login?: string;
  send: () => Buffer[];
  expect: Expect;
}

const INVALID_UTF8 = Buffer.from([0x73, 0x70, 0xff, 0xfe]);

const rows: Row[] = [
  // CONNECT
  { statement: 'MQTT-3.1.0-1', what: 'the first packet is not CONNECT', send: () => [publish(`${R}/speaker/sp-1/telemetry`, telemetry())], expect: { close: true, connack: 'none' } },
  { statement: 'MQTT-3.1.0-2', what: 'a second CONNECT', login: 'sp-1', send: () => [connectPacket('sp-1')], expect: { close: true } },
  { statement: 'MQTT-3.1.2-1', what: 'protocol name other than "MQTT"', send: () => [connectPacket('sp-1', { protocolName: 'MQTX' })], expect: { close: true, connack: 'none' } },
  { statement: 'MQTT-3.1.2-2', what: 'unsupported protocol level 9', send: () => [connectPacket('sp-1', { level: 9 })], expect: { close: true, connack: 1 } },
  { statement: 'MQTT-3.1.2-3', what: 'reserved CONNECT flag set', send: () => [connectPacket('sp-1', { flags: 0xc3 })], expect: { close: true, connack: 'none' } },
  { statement: 'MQTT-3.1.2-11', what: 'will QoS set without the will flag', send: () => [connectPacket('sp-1', { flags: 0xc2 | 0x08 })], expect: { close: true, connack: 'none' } },
  { statement: 'MQTT-3.1.2-12', what: 'will QoS 3', send: () => [connectPacket('sp-1', { will: { topic: `${R}/speaker/sp-1/status`, payload: '{}', qos: 3, retain: true } })], expect: { close: true, connack: 'none' } },
  { statement: 'MQTT-3.1.2-13', what: 'will retain set without the will flag', send: () => [connectPacket('sp-1', { flags: 0xc2 | 0x20 })], expect: { close: true, connack: 'none' } },
  { statement: 'MQTT-3.1.2-22', what: 'password flag without the username flag', send: () => [connectPacket('sp-1', { flags: 0x42 })], expect: { close: true, connack: 'none' } },
  { statement: 'MQTT-3.1.3-8', what: 'empty client id with clean session 0', send: () => [connectPacket('sp-1', { clientId: '', clean: false })], expect: { close: true, connack: 2 } },
  { statement: 'MQTT-3.1.3-9', what: 'a client id the server rejects (not the device\'s own)', send: () => [connectPacket('sp-1', { clientId: 'sp-2' })], expect: { close: true, connack: 2 } },
  { statement: 'MQTT-3.1.3-6', what: 'empty client id with clean session 1: ringwatch binds ids to devices, so rejected', send: () => [connectPacket('sp-1', { clientId: '' })], expect: { close: true, connack: 2 } },
  { statement: 'MQTT-1.5.3-1', what: 'ill-formed UTF-8 in the client id', send: () => [connectPacket('sp-1', { clientId: INVALID_UTF8 })], expect: { close: true, connack: 'none' } },
  { statement: 'MQTT-1.5.3-2', what: 'U+0000 in the username', send: () => [connectPacket('sp-1', { username: Buffer.from('sp-1\u0000x') })], expect: { close: true, connack: 'none' } },
  { statement: 'MQTT-3.1.4-1', what: 'a CONNECT shorter than its fields', send: () => [packet(0x10, Buffer.concat([str('MQTT'), Buffer.from([4, 0xc2])]))], expect: { close: true, connack: 'none' } },
  { statement: 'MQTT-2.2.2-2', what: 'CONNECT with fixed-header flags set', send: () => [Buffer.concat([Buffer.from([0x11]), connectPacket('sp-1').subarray(1)])], expect: { close: true, connack: 'none' } },

  // PUBLISH
  { statement: 'MQTT-3.3.1-4', what: 'PUBLISH with QoS 3', login: 'sp-1', send: () => [publish(`${R}/speaker/sp-1/telemetry`, telemetry(), { first: 0x36 })], expect: { close: true } },
  { statement: 'MQTT-3.3.1-2', what: 'DUP set on a QoS 0 PUBLISH', login: 'sp-1', send: () => [publish(`${R}/speaker/sp-1/telemetry`, telemetry(), { dup: true })], expect: { close: true } },
  { statement: 'MQTT-3.3.2-2', what: 'wildcard + in a PUBLISH topic', login: 'sp-1', send: () => [publish(`${R}/speaker/+/telemetry`, telemetry())], expect: { close: true } },
  { statement: 'MQTT-4.7.1-1', what: 'wildcard # in a PUBLISH topic', login: 'sp-1', send: () => [publish(`${R}/speaker/sp-1/#`, telemetry())], expect: { close: true } },
  { statement: 'MQTT-4.7.3-1', what: 'empty PUBLISH topic', login: 'sp-1', send: () => [publish('', telemetry())], expect: { close: true } },
  { statement: 'MQTT-4.7.3-2', what: 'U+0000 in a PUBLISH topic', login: 'sp-1', send: () => [publish(Buffer.from(`${R}/speaker/sp-1/telemetry\u0000`), telemetry())], expect: { close: true } },
  { statement: 'MQTT-3.3.2-1', what: 'ill-formed UTF-8 in a PUBLISH topic', login: 'sp-1', send: () => [publish(Buffer.concat([Buffer.from(`${R}/speaker/`), INVALID_UTF8]), telemetry())], expect: { close: true } },
  { statement: 'MQTT-2.3.1-1', what: 'QoS 1 PUBLISH with packet id 0', login: 'sp-1', send: () => [publish(`${R}/speaker/sp-1/telemetry`, telemetry(), { qos: 1, id: 0 })], expect: { close: true } },
  { statement: 'MQTT-3.3.5-2', what: 'an unauthorised QoS 1 PUBLISH is acknowledged (not routed) and the connection stays', login: 'sp-1', send: () => [publish(`${R}/speaker/sp-2/telemetry`, telemetry(), { qos: 1, id: 9 })], expect: { reply: Buffer.from([0x40, 0x02, 0x00, 0x09]) } },

  // SUBSCRIBE
  { statement: 'MQTT-3.8.1-1', what: 'SUBSCRIBE with fixed-header flags 0000', login: 'sp-1', send: () => [subscribe(1, [[`${R}/speaker/sp-1/cmd`, 1]], 0x80)], expect: { close: true } },
  { statement: 'MQTT-3.8.3-3', what: 'SUBSCRIBE with no topic filter', login: 'sp-1', send: () => [packet(0x82, u16(1))], expect: { close: true } },
  { statement: 'MQTT-3-8.3-4', what: 'SUBSCRIBE requesting QoS 3', login: 'sp-1', send: () => [subscribe(1, [[`${R}/speaker/sp-1/cmd`, 3]])], expect: { close: true } },
  { statement: 'MQTT-3-8.3-4', what: 'SUBSCRIBE with reserved bits set in the QoS byte', login: 'sp-1', send: () => [subscribe(1, [[`${R}/speaker/sp-1/cmd`, 0x41]])], expect: { close: true } },
  { statement: 'MQTT-2.3.1-1', what: 'SUBSCRIBE with packet id 0', login: 'sp-1', send: () => [subscribe(0, [[`${R}/speaker/sp-1/cmd`, 1]])], expect: { close: true } },
  { statement: 'MQTT-3.8.3-1', what: 'ill-formed UTF-8 in a topic filter', login: 'sp-1', send: () => [subscribe(1, [[Buffer.concat([Buffer.from(`${R}/`), INVALID_UTF8]), 1]])], expect: { close: true } },
  { statement: 'MQTT-4.7.1-2', what: '# not last in a filter', login: 'sp-1', send: () => [subscribe(1, [[`${R}/#/cmd`, 1]])], expect: { close: true } },
  { statement: 'MQTT-4.7.1-3', what: '+ not alone in its level', login: 'sp-1', send: () => [subscribe(1, [[`${R}/speaker/sp-1+/cmd`, 1]])], expect: { close: true } },
  { statement: 'MQTT-4.7.3-1', what: 'empty topic filter', login: 'sp-1', send: () => [subscribe(1, [['', 1]])], expect: { close: true } },
  { statement: 'MQTT-3.8.4-5', what: 'one SUBACK code per filter, in order (granted, refused)', login: 'sp-1', send: () => [subscribe(5, [[`${R}/speaker/sp-1/cmd`, 1], [`${R}/speaker/sp-2/cmd`, 1]])], expect: { reply: Buffer.from([0x90, 0x04, 0x00, 0x05, 0x01, 0x80]) } },

  // UNSUBSCRIBE
  { statement: 'MQTT-3.10.1-1', what: 'UNSUBSCRIBE with fixed-header flags 0000', login: 'sp-1', send: () => [unsubscribe(1, [`${R}/speaker/sp-1/cmd`], 0xa0)], expect: { close: true } },
  { statement: 'MQTT-3.10.3-2', what: 'UNSUBSCRIBE with no topic filter', login: 'sp-1', send: () => [packet(0xa2, u16(1))], expect: { close: true } },
  { statement: 'MQTT-2.3.1-1', what: 'UNSUBSCRIBE with packet id 0', login: 'sp-1', send: () => [unsubscribe(0, [`${R}/speaker/sp-1/cmd`])], expect: { close: true } },
  { statement: 'MQTT-3.10.4-5', what: 'UNSUBACK even when nothing was subscribed', login: 'sp-1', send: () => [unsubscribe(7, [`${R}/speaker/sp-1/cmd`])], expect: { reply: Buffer.from([0xb0, 0x02, 0x00, 0x07]) } },

  // Others
  { statement: 'MQTT-3.12.4-1', what: 'PINGREQ is answered with PINGRESP', login: 'sp-1', send: () => [Buffer.from([0xc0, 0x00])], expect: { reply: Buffer.from([0xd0, 0x00]) } },
  { statement: 'MQTT-2.2.2-2', what: 'PINGREQ with fixed-header flags set', login: 'sp-1', send: () => [Buffer.from([0xc1, 0x00])], expect: { close: true } },
  { statement: 'MQTT-2.2.2-2', what: 'PUBACK with fixed-header flags set', login: 'sp-1', send: () => [Buffer.from([0x42, 0x02, 0x00, 0x01])], expect: { close: true } },
  { statement: 'MQTT-3.14.1-1', what: 'DISCONNECT with fixed-header flags set', login: 'sp-1', send: () => [Buffer.from([0xe1, 0x00])], expect: { close: true } },
];

async function login(s: RawSession, deviceId: string, spec: ConnectSpec = {}): Promise<void> {
  s.socket.write(connectPacket(deviceId, spec));
  await s.waitFor((b) => b.length >= 4);
  expect(s.received().subarray(0, 4)).toEqual(CONNACK(0));
}

describe('MQTT 3.1.1 normative statements, over raw packets', () => {
  test.each(rows.map((r) => [`[${r.statement}] ${r.what}`, r] as const))('%s', async (_name, row) => {
    const s = await openRawSession(broker.port);
    try {
      if (row.login) await login(s, row.login);
      const offset = row.login ? 4 : 0;
      for (const b of row.send()) s.socket.write(b);
      if ('reply' in row.expect) {
        const want = row.expect.reply;
        const got = await s.waitFor((b) => b.length >= offset + want.length);
        expect(got.subarray(offset, offset + want.length).toString('hex')).toBe(want.toString('hex'));
        expect(s.isClosed()).toBe(false);
        return;
      }
      const closed = await s.closedWithin(5_000);
      const after = s.received().subarray(offset).toString('hex');
      expect({ closed, received: after }).toMatchObject({ closed: true });
      if (row.expect.connack === 'none') expect(after).toBe('');
      else if (row.expect.connack !== undefined) expect(after.slice(0, 8)).toBe(CONNACK(row.expect.connack).toString('hex'));
    } finally {
      s.close();
    }
  });

  test('[MQTT-3.1.4-5] nothing sent after a refused CONNECT is processed', async () => {
    const s = await openRawSession(broker.port);
    const before = seen.length;
    s.socket.write(Buffer.concat([connectPacket('sp-3', { password: 'wrong' }), publish(`${R}/speaker/sp-3/telemetry`, telemetry(77))]));
    expect(await s.closedWithin(5_000)).toBe(true);
    expect(startsWith(s.received(), CONNACK(5))).toBe(true);
    // Proof of absence: a later publish by a real sp-3 arrives, and it is the only one.
    const real = await connectAs(broker, 'sp-3');
    const arrived = nextMessage(watcher, (m) => m.topic === `${R}/speaker/sp-3/telemetry`);
    await real.publishAsync(`${R}/speaker/sp-3/telemetry`, telemetry(12), { qos: 1 });
    await arrived;
    expect(seen.slice(before).filter((m) => m.topic === `${R}/speaker/sp-3/telemetry`).map((m) => JSON.parse(m.payload).volumePct)).toEqual([12]);
    await real.endAsync(true);
  });

  test('[MQTT-3.1.2-10] the will is discarded on DISCONNECT; [MQTT-3.1.2-8] published when the connection drops', async () => {
    const topic = `${R}/speaker/sp-4/status`;
    const will = { topic, payload: JSON.stringify({ tsMs: 0, state: 'offline', reason: 'connection_lost' }), qos: 1, retain: true };
    const polite = await openRawSession(broker.port);
    await login(polite, 'sp-4', { will });
    polite.socket.write(Buffer.from([0xe0, 0x00]));
    expect(await polite.closedWithin(5_000)).toBe(true);

    const rude = await openRawSession(broker.port);
    await login(rude, 'sp-4', { will: { ...will, payload: JSON.stringify({ tsMs: 1, state: 'offline', reason: 'connection_lost' }) } });
    const published = nextMessage(watcher, (m) => m.topic === topic);
    rude.close();
    // The first will to arrive is the second connection's: the first one's was discarded.
    expect(JSON.parse((await published).payload)).toMatchObject({ tsMs: 1 });
  });

  test('[MQTT-3.1.2-24] a client silent for 1.5 × its keep-alive is disconnected', async () => {
    const s = await openRawSession(broker.port);
    await login(s, 'sp-5', { keepaliveS: 1 });
    expect(await s.closedWithin(10_000)).toBe(true);
  });
});
