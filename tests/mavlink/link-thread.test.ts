import { afterEach, describe, expect, it } from 'vitest';
import { minimal } from 'node-mavlink';
import { MavlinkLink, type MavlinkMessage } from '../../mavlink/link.ts';
import { LinkThread } from '../../mavlink/link-thread/link-thread.ts';
import type { ThreadEndpointSpec } from '../../mavlink/link-thread/messages.ts';
import { UdpDuplex } from '../../mavlink/transports/udp.ts';
import { findFreeUdpPort } from '../../util/free-port.ts';
import { copterHeartbeat } from '../helpers/copter-heartbeat.ts';
import { until } from '../helpers/wait.ts';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function thread(log: string[] = []): Promise<LinkThread> {
  const t = await LinkThread.start({ log: (l) => log.push(l), backoff: { firstMs: 50, maxMs: 400 } });
  closers.push(() => t.close());
  return t;
}

const endpoint = (url: string, heartbeatMs = 100): Omit<ThreadEndpointSpec, 'stamps'> => ({
  url,
  systems: [{ systemId: 1 }],
  autopilotComponentId: 1,
  heartbeat: { systemId: 255, componentId: 190, intervalMs: heartbeatMs, signingLinkId: 1, keys: [], unsigned: true },
});

/** A vehicle as system 1 on its own UDP port, heartbeating at 10 Hz to `port`, recording what it hears. */
async function vehicle(port: number, sysid = 1): Promise<{ link: MavlinkLink; heard: MavlinkMessage[] }> {
  const link = new MavlinkLink(await UdpDuplex.open({ bindPort: 0, remote: { host: '127.0.0.1', port } }), { systemId: sysid, componentId: 1 });
  const heard: MavlinkMessage[] = [];
  link.on('message', (m) => heard.push(m));
  const timer = setInterval(() => link.send(copterHeartbeat()), 100);
  closers.push(() => {
    clearInterval(timer);
    link.close();
  });
  return { link, heard };
}

const gcsHeartbeats = (heard: MavlinkMessage[]) => heard.filter((m) => m.msgid === minimal.Heartbeat.MSG_ID && m.sysid === 255).length;

describe('LinkThread', () => {
  it('carries a udp:// endpoint both ways, pins in the thread, heartbeats and stamps', async () => {
    const t = await thread();
    const port = await findFreeUdpPort();
    const stream = await t.open(endpoint(`udp://127.0.0.1:${port}`));
    const ground = new MavlinkLink(stream, { systemId: 255, componentId: 190 });
    closers.push(() => ground.close());
    const fromVehicle: MavlinkMessage[] = [];
    ground.on('message', (m) => fromVehicle.push(m));
    const v = await vehicle(port);
    await until(() => fromVehicle.some((m) => m.sysid === 1 && m.msgid === minimal.Heartbeat.MSG_ID), 'the vehicle heard on the main thread', 10_000);
    // The thread's heartbeat reaches the vehicle once it is pinned, and so does what the main thread writes.
    await until(() => gcsHeartbeats(v.heard) >= 2, 'GCS heartbeats from the thread', 10_000);
    expect(stream.heardAtMs(1)).toBeGreaterThan(Date.now() - 5000);
    expect(stream.heartbeatsSent).toBeGreaterThan(0);
    ground.send(copterHeartbeat(7));
    await until(() => v.heard.some((m) => m.sysid === 255 && (m.data as minimal.Heartbeat).customMode === 7), 'a frame written on the main thread', 10_000);

    // Another address claiming system 1: refused by the thread's gate, reported to the main thread.
    const refusals: string[] = [];
    stream.onRefused((reason, sysid) => refusals.push(`${reason}:${sysid}`));
    const intruder = await vehicle(port);
    await until(() => refusals.includes('wrongPeer:1'), 'the intruder refused as wrongPeer', 10_000);
    expect(gcsHeartbeats(intruder.heard)).toBe(0);
  });

  it('restarts after a crash, reopens its endpoints on the same streams, and frees the ports on close', async () => {
    const log: string[] = [];
    const t = await thread(log);
    const port = await findFreeUdpPort();
    const stream = await t.open(endpoint(`udp://127.0.0.1:${port}`));
    const ground = new MavlinkLink(stream, { systemId: 255, componentId: 190 });
    closers.push(() => ground.close());
    let heardAt = 0;
    ground.on('message', () => (heardAt = Date.now()));
    await vehicle(port);
    await until(() => heardAt > 0, 'the vehicle heard', 10_000);

    await t.simulateCrash();
    expect(t.stats().running).toBe(false);
    await until(() => t.stats().restarts === 1 && t.stats().running, 'the thread restarted', 20_000);
    const after = Date.now();
    await until(() => heardAt > after, 'the vehicle heard again on the same stream', 20_000);
    expect(ground.isClosed).toBe(false);
    expect(log.some((l) => /link thread stopped/.test(l))).toBe(true);
    expect(log.some((l) => /link thread restarted; reopening 1 endpoints/.test(l))).toBe(true);
    await until(() => t.stats().lag !== undefined, 'loop figures from the new thread', 10_000);

    await t.close();
    expect(stream.destroyed).toBe(true);
    // The port is free again: a new socket binds it at once.
    const again = await UdpDuplex.open({ bindPort: port, bindHost: '127.0.0.1' });
    again.destroy();
  });

  it('refuses to open an endpoint whose port is taken, with the transport’s message', async () => {
    const t = await thread();
    const taken = await UdpDuplex.open({ bindPort: 0, bindHost: '127.0.0.1' });
    closers.push(() => taken.destroy());
    await expect(t.open(endpoint(`udp://127.0.0.1:${taken.localPort}`))).rejects.toThrow(/EADDRINUSE/);
    expect(t.stats().endpoints).toBe(0);
  });
});
