import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { FLUSH_BYTES, adaptSocketWrites } from '../../broker/socket-writes.ts';

/**
 * The broker joins what aedes writes in one loop turn into one socket write (mqtt-packet
 * writes a packet field by field), without reordering anything and without losing what
 * is held when the socket is ended.
 */
let server: Server | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.length = 0;
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A loopback pair: `broker` is adapted, and every write it passes to the socket is recorded; `peer` collects what arrives. */
async function pair(): Promise<{ broker: Socket; writes: unknown[]; received: () => Buffer; ended: Promise<void> }> {
  const accepted = new Promise<Socket>((resolve) => {
    server = createServer(resolve);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const peer = connect((server!.address() as AddressInfo).port, '127.0.0.1');
  const chunks: Buffer[] = [];
  peer.on('data', (d: Buffer) => chunks.push(d));
  const ended = new Promise<void>((resolve) => peer.once('end', resolve));
  const broker = await accepted;
  sockets.push(peer, broker);
  const writes: unknown[] = [];
  const socketWrite = broker.write.bind(broker) as (...args: unknown[]) => boolean;
  broker.write = ((chunk: unknown, ...rest: unknown[]) => (writes.push(chunk), socketWrite(chunk, ...rest))) as Socket['write'];
  adaptSocketWrites(broker, { hardLimitBytes: 1024 * 1024, stallMs: 10_000 });
  return { broker, writes, received: () => Buffer.concat(chunks), ended };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

test("one loop turn's chunks reach the socket as one write, in order", async () => {
  const { broker, writes, received } = await pair();
  expect(broker.write(Buffer.from([0x30]))).toBe(true);
  broker.write(Buffer.from([0x0b]));
  broker.write('top/ic', 'utf8');
  broker.write(Buffer.from('pay'));
  broker.write('λ');
  expect(writes).toHaveLength(0);
  await turn();
  expect(writes).toHaveLength(1);
  await expect.poll(() => received().length).toBe(1 + 1 + 6 + 3 + 2);
  expect(received()).toEqual(Buffer.concat([Buffer.from([0x30, 0x0b]), Buffer.from('top/icpayλ')]));
});

test('a write with a callback, and end(), go out behind what is held', async () => {
  const { broker, writes, received, ended } = await pair();
  broker.write(Buffer.from('a'));
  broker.write('b');
  let called = false;
  broker.write(Buffer.from('c'), () => (called = true));
  expect(writes.map((w) => Buffer.from(w as Buffer).toString())).toEqual(['ab', 'c']);
  broker.write(Buffer.from('d'));
  broker.end();
  await ended;
  expect(received().toString()).toBe('abcd');
  expect(called).toBe(true);
});

test('past FLUSH_BYTES the held chunks are written at once', async () => {
  const { broker, writes } = await pair();
  const part = Buffer.alloc(FLUSH_BYTES / 4, 1);
  for (let i = 0; i < 3; i++) broker.write(part);
  expect(writes).toHaveLength(0);
  broker.write(part);
  expect(writes).toHaveLength(1);
  expect((writes[0] as Buffer).length).toBe(FLUSH_BYTES);
  // A chunk that large on its own goes out as it is, behind what is held.
  const large = Buffer.alloc(FLUSH_BYTES, 2);
  broker.write(part);
  broker.write(large);
  expect(writes.slice(1)).toEqual([part, large]);
  expect(writes[2]).toBe(large);
});
