import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { PacketSizeScanner } from '../../broker/packet-size-guard.ts';
import { encodeConnect, encodePublishQos1, remainingLength } from '../broker/raw-mqtt.ts';
import { startBroker, type TestBroker } from '../helpers/broker.ts';

/**
 * Issue 12 item 3: memory exhaustion before authentication. A CONNECT declaring 100 MB was
 * buffered whole (6 sockets took 735 MB). The broker must close a connection as soon as a
 * fixed header declares more than the limit, and cap connections per address and in total.
 */
const MB = 1024 * 1024;
let broker: TestBroker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/**
 * Writes `header` then trickles `chunkBytes` of filler every few ms until the broker closes
 * the socket or `maxBytes` have gone out. Resolves with the bytes written and whether it was closed.
 */
async function trickle(port: number, header: Buffer, opts: { chunkBytes: number; maxBytes: number; pauseMs: number }): Promise<{ sentBytes: number; closed: boolean }> {
  const s = await open(port);
  let closed = false;
  s.on('error', () => undefined);
  s.on('close', () => (closed = true));
  s.write(header);
  let sentBytes = 0;
  const filler = Buffer.alloc(opts.chunkBytes, 0x41);
  while (!closed && sentBytes < opts.maxBytes) {
    sentBytes += filler.length;
    // Wait for TCP to take it, so what we count was sent and nothing piles up on our side.
    if (!s.write(filler)) await new Promise<void>((r) => (s.once('drain', r), s.once('close', r)));
    await new Promise((r) => setTimeout(r, opts.pauseMs));
  }
  s.destroy();
  return { sentBytes, closed };
}

const hugeConnectHeader = Buffer.concat([Buffer.from([0x10]), remainingLength(100 * MB)]);

describe('packet size limit, enforced on the fixed header', () => {
  test('a CONNECT declaring 100 MB is closed at once, not buffered; a slow trickle does not keep it open', async () => {
    broker = await startBroker();
    const r = await trickle(broker.port, hugeConnectHeader, { chunkBytes: 16 * 1024, maxBytes: 4 * MB, pauseMs: 5 });
    expect(r.closed).toBe(true);
    // Closed after the header: at most what was in flight when the refusal arrived.
    expect(r.sentBytes).toBeLessThan(1 * MB);
    expect(broker.metrics().rejects.oversize_packet).toBe(1);
  }, 60_000);

  test('six sockets declaring 100 MB each leave resident memory bounded', async () => {
    broker = await startBroker();
    const rssBefore = process.memoryUsage().rss;
    const results = await Promise.all(
      Array.from({ length: 6 }, () => trickle(broker!.port, hugeConnectHeader, { chunkBytes: 256 * 1024, maxBytes: 24 * MB, pauseMs: 1 })),
    );
    const grownMb = (process.memoryUsage().rss - rssBefore) / MB;
    expect(results.every((r) => r.closed)).toBe(true);
    // Unguarded, the broker held everything it read (up to 144 MB here).
    expect(grownMb).toBeLessThan(48);
    expect(broker.metrics().rejects.oversize_packet).toBe(6);
  }, 120_000);

  test('a CONNECT just over the 64 KiB default is refused; an authenticated PUBLISH over the packet limit closes that connection only', async () => {
    broker = await startBroker();
    const justOver = await trickle(broker.port, Buffer.concat([Buffer.from([0x10]), remainingLength(64 * 1024 + 1)]), { chunkBytes: 1024, maxBytes: 128 * 1024, pauseMs: 5 });
    expect(justOver.closed).toBe(true);

    const s = await open(broker.port);
    s.on('error', () => undefined);
    const closed = new Promise<void>((r) => s.once('close', () => r()));
    s.write(encodeConnect('sp-1', 'sp-1', broker.secrets.devices['sp-1']!));
    const connack = await new Promise<Buffer>((r) => s.once('data', r));
    expect(connack[3]).toBe(0);
    // A legal small publish first (QoS 1, answered by PUBACK), then a header declaring 10 MB.
    s.write(encodePublishQos1('ringwatch/v1/speaker/sp-1/telemetry', JSON.stringify({ tsMs: Date.now(), state: 'idle', volumePct: 40 }), 7));
    const puback = await new Promise<Buffer>((r) => s.once('data', r));
    expect([...puback]).toEqual([0x40, 2, 0, 7]);
    s.write(Buffer.concat([Buffer.from([0x30]), remainingLength(10 * MB), Buffer.alloc(1024)]));
    await closed;
    expect(broker.metrics().rejects.oversize_packet).toBe(2);
    expect(broker.metrics().messagesIn).toBe(1);
  }, 60_000);
});

test('a CONNECT that never finishes arriving is closed at the connect timeout, not held', async () => {
  broker = await startBroker({ limits: { connectTimeoutMs: 500 } });
  // Declares 60 KiB (under the limit) and trickles a byte every 20 ms for at least 5 s (aedes' default would wait 30 s).
  const r = await trickle(broker.port, Buffer.concat([Buffer.from([0x10]), remainingLength(60 * 1024)]), { chunkBytes: 1, maxBytes: 250, pauseMs: 20 });
  expect(r.closed).toBe(true);
}, 60_000);

describe('connection caps', () => {
  test('per source address: the connection over the cap is closed, a freed slot is reused', async () => {
    broker = await startBroker({ limits: { maxConnectionsPerAddress: 3 } });
    const held = await Promise.all([open(broker.port), open(broker.port), open(broker.port)]);
    const extra = await open(broker.port);
    extra.on('error', () => undefined);
    await new Promise<void>((r) => extra.once('close', () => r()));
    expect(broker.metrics().rejects.connection_cap).toBe(1);

    const gone = held.pop()!;
    gone.destroy();
    await expect.poll(() => broker!.server.broker.openConnections(), { timeout: 5_000 }).toBe(2);
    const again = await open(broker.port);
    again.write(encodeConnect('sp-2', 'sp-2', broker.secrets.devices['sp-2']!));
    const connack = await new Promise<Buffer>((r) => again.once('data', r));
    expect(connack[3]).toBe(0);
    for (const s of [...held, again]) s.destroy();
  }, 30_000);

  test('in total', async () => {
    broker = await startBroker({ limits: { maxConnections: 2 } });
    const held = await Promise.all([open(broker.port), open(broker.port)]);
    const extra = await open(broker.port);
    extra.on('error', () => undefined);
    await new Promise<void>((r) => extra.once('close', () => r()));
    expect(broker.metrics().rejects.connection_cap).toBe(1);
    for (const s of held) s.destroy();
  }, 30_000);
});

describe('PacketSizeScanner (pure)', () => {
  const limits = { maxConnectBytes: 100, maxPacketBytes: 1000 };
  const pub = (n: number) => Buffer.concat([Buffer.from([0x30]), remainingLength(n), Buffer.alloc(n)]);

  test('many packets in one chunk, and headers split across chunks', () => {
    const sc = new PacketSizeScanner(limits);
    const stream = Buffer.concat([Buffer.from([0x10, 50]), Buffer.alloc(50), pub(10), pub(999), pub(0), pub(200)]);
    for (let i = 0; i < stream.length; i += 3) expect(sc.scan(stream.subarray(i, i + 3))).toBeUndefined();
    expect(new PacketSizeScanner(limits).scan(stream)).toBeUndefined();
  });

  test('refuses on the first length byte that already exceeds the limit, by packet type', () => {
    expect(new PacketSizeScanner(limits).scan(Buffer.from([0x10, 101]))).toMatchObject({ reason: 'oversize_packet', packetType: 1, limitBytes: 100 });
    expect(new PacketSizeScanner(limits).scan(Buffer.from([0x30, 101]))).toBeUndefined();
    // 1001 split over two chunks after an accepted packet.
    const sc = new PacketSizeScanner(limits);
    expect(sc.scan(Buffer.concat([pub(5), Buffer.from([0x30])]))).toBeUndefined();
    const lenBytes = remainingLength(1001);
    expect(sc.scan(lenBytes)).toMatchObject({ reason: 'oversize_packet', declaredBytes: 1001 });
  });

  test('a remaining length longer than 4 bytes is malformed [MQTT-2.2.3]', () => {
    const sc = new PacketSizeScanner({ maxConnectBytes: 1e9, maxPacketBytes: 1e9 });
    expect(sc.scan(Buffer.from([0xc0, 0x80, 0x80, 0x80, 0x80, 0x00]))).toEqual({ reason: 'malformed_length' });
  });

  test('a first CONNECT with an unknown protocol level is answered CONNACK 0x01 [MQTT-3.1.2-2], even split byte by byte', () => {
    const connect = Buffer.concat([Buffer.from([0x10, 12, 0, 4]), Buffer.from('MQTT'), Buffer.from([9, 0xc2, 0, 30, 0, 0])]);
    const sc = new PacketSizeScanner(limits);
    const results = [...connect].map((b) => sc.scan(Buffer.from([b])));
    expect(results.filter(Boolean)).toEqual([{ reason: 'protocol_level', level: 9, reply: Buffer.from([0x20, 2, 0, 1]) }]);
    expect(new PacketSizeScanner(limits).scan(Buffer.concat([connect.subarray(0, 8), Buffer.from([4]), connect.subarray(9)]))).toBeUndefined();
    // Only the first packet is probed.
    expect(new PacketSizeScanner(limits).scan(Buffer.concat([pub(3), connect]))).toBeUndefined();
  });
});
