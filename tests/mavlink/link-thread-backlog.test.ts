import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { MavLinkProtocolV2, minimal } from 'node-mavlink';
import { afterEach, describe, expect, it } from 'vitest';
import { LinkThread } from '../../mavlink/link-thread/link-thread.ts';
import { MavlinkLink } from '../../mavlink/link.ts';
import { findFreeUdpPort } from '../../util/free-port.ts';
import { copterHeartbeat } from '../helpers/copter-heartbeat.ts';
import { until } from '../helpers/wait.ts';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const LIMIT_BYTES = 16 * 1024;
/** Heartbeats the vehicle sends while the main thread is blocked: 84 kB, five times the limit. */
const BURST = 4000;
const BLOCK_MS = 4000;

/**
 * A vehicle in a child process (this thread will be blocked), sending HEARTBEATs numbered
 * in customMode from one UDP socket: frame 0 alone, and after `pauseMs` the rest within
 * about a second, 20 every 5 ms (faster, the kernel's socket buffer would drop some first).
 */
function vehicleProcess(port: number, frames: Buffer[], pauseMs: number) {
  const code = `
    const dgram = require('node:dgram');
    let text = '';
    process.stdin.on('data', (d) => (text += d)).on('end', () => {
      const frames = JSON.parse(text).map((b) => Buffer.from(b, 'base64'));
      const sock = dgram.createSocket('udp4');
      const send = (f) => new Promise((r) => sock.send(f, ${port}, '127.0.0.1', r));
      send(frames[0]).then(() => setTimeout(async () => {
        for (let i = 1; i < frames.length; i += 20) {
          await Promise.all(frames.slice(i, i + 20).map(send));
          await new Promise((r) => setTimeout(r, 5));
        }
        sock.close();
      }, ${pauseMs}));
    });`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'ignore', 'inherit'] });
  child.stdin.end(JSON.stringify(frames.map((f) => f.toString('base64'))));
  closers.push(() => child.kill());
  return child;
}

describe('LinkThread inbound backlog', () => {
  it('keeps at most its bound unacknowledged while the main thread is blocked, dropping the oldest held bytes and counting them', async () => {
    const t = await LinkThread.start({ log: () => undefined, maxUnackedRxBytes: LIMIT_BYTES });
    closers.push(() => t.close());
    const port = await findFreeUdpPort();
    const stream = await t.open({ url: `udp://127.0.0.1:${port}`, systems: [{ systemId: 1 }], autopilotComponentId: 1 });
    const ground = new MavlinkLink(stream, { systemId: 255, componentId: 190 });
    closers.push(() => ground.close());
    const heard = new Set<number>();
    ground.on('message', (m) => {
      if (m.msgid === minimal.Heartbeat.MSG_ID) heard.add((m.data as minimal.Heartbeat).customMode);
    });
    let deliveredBytes = 0;
    stream.on('data', (c: Buffer) => (deliveredBytes += c.length));

    const proto = new MavLinkProtocolV2(1, 1);
    const frames = Array.from({ length: BURST + 1 }, (_, i) => proto.serialize(copterHeartbeat(i), i & 0xff));
    const sentBytes = frames.reduce((n, f) => n + f.length, 0);
    const child = vehicleProcess(port, frames, 1000);
    await until(() => heard.has(0), 'the first heartbeat, before the block', 10_000);
    const beforeBlock = deliveredBytes;
    // The burst arrives while this thread takes nothing from the link thread.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, BLOCK_MS);
    if (child.exitCode === null) await once(child, 'exit');

    await until(() => heard.has(BURST), 'the newest heartbeat', 10_000);
    // Every byte sent was either taken or dropped and counted (the count comes with the thread's next report, once a second).
    await until(() => deliveredBytes + t.stats().rxDropped.bytes === sentBytes, 'every byte taken or counted as dropped', 5000);
    const { rxDropped } = t.stats();
    expect(rxDropped.bytes).toBeGreaterThan(0);
    expect(heard.size + rxDropped.chunks).toBe(BURST + 1);
    // What crossed after the block: the bound posted, the bound held, and one loop turn's reads beyond.
    expect(deliveredBytes - beforeBlock).toBeLessThan(3 * LIMIT_BYTES);
    // The dropped are the oldest the thread held: the first of the burst went before the bound
    // was reached, the newest were held, and the gap lies between.
    const missing = Array.from({ length: BURST }, (_, i) => i + 1).filter((i) => !heard.has(i));
    expect(missing.length).toBe(rxDropped.chunks);
    expect(heard.has(1)).toBe(true);
    expect(missing[missing.length - 1]! - missing[0]! + 1).toBe(missing.length);
  });
});
