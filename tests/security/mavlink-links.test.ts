/**
 * Issue 11 item 14: MAVLink links trust no one. Each test attacks a running control
 * service over real loopback UDP or TCP and expects the refusal.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { common, MavLinkProtocolV2, type MavLinkData } from 'node-mavlink';
import { FrameSigner, IFLAG_SIGNED, MavlinkLink, openGroundStream, parseEndpoint, UdpDuplex } from '../../mavlink/index.ts';
import { startControlService, type ControlService } from '../../control/service.ts';
import { FAST_TIMEOUTS } from '../../control/timeouts.ts';
import { startSimDrone, type SimDroneHandle } from '../../simulators/drone/index.ts';
import { findFreeUdpPort } from '../../util/free-port.ts';
import { demoSite } from '../helpers/broker.ts';
import { StubVehicle } from '../control/helpers/stub-vehicle.ts';
import { waitFor } from '../control/helpers/rig.ts';
import { fencePolygon } from '../../control/vehicle/plan-item.ts';
import { copterHeartbeat } from '../helpers/copter-heartbeat.ts';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const KEY = createHash('sha256').update('ringwatch security test key').digest();
const OTHER_KEY = Buffer.alloc(32, 7);

const drone = (url: string, systemId = 1, keyId?: string) => ({
  ...demoSite().site.drones[0]!,
  id: 'drone-1',
  mavlink: { url, systemId, ...(keyId ? { signing: { keyId } } : {}) },
});

async function service(drones: ReturnType<typeof drone>[], keys?: Map<string, Buffer>): Promise<{ svc: ControlService; stream: () => UdpDuplex; log: string[] }> {
  let stream: UdpDuplex | undefined;
  const log: string[] = [];
  const svc = await startControlService({
    site: { drones },
    timeouts: FAST_TIMEOUTS,
    ...(keys ? { signingKeys: keys } : {}),
    log: (line) => log.push(line),
    openStream: async (url) => {
      const s = await openGroundStream(parseEndpoint(url));
      if (s instanceof UdpDuplex) stream = s;
      return s;
    },
  });
  closers.push(() => svc.close());
  return { svc, stream: () => stream!, log };
}

/** Control listening on a free `udp://` port for drone-1, and a stub drone-1 speaking to it from its own port. */
async function serviceWithUdpDrone(): Promise<{ svc: ControlService; log: string[]; port: number; real: StubVehicle }> {
  const port = await findFreeUdpPort();
  const { svc, log } = await service([drone(`udp://127.0.0.1:${port}`)]);
  const real = new StubVehicle(await UdpDuplex.open({ bindPort: 0, remote: { host: '127.0.0.1', port } }), 1);
  closers.push(() => real.close());
  return { svc, log, port, real };
}

/** A raw MAVLink sender as system `sysid`/1 from its own UDP port: what an attacker on the LAN has. */
async function udpSender(port: number, sysid = 1, signer?: FrameSigner): Promise<MavlinkLink> {
  const link = new MavlinkLink(await UdpDuplex.open({ bindPort: 0, remote: { host: '127.0.0.1', port } }), { systemId: sysid, componentId: 1 }, signer ? { signer } : {});
  closers.push(() => link.close());
  return link;
}

const heartbeat = () => copterHeartbeat(4);

function position(latDeg: number, lonDeg: number): common.GlobalPositionInt {
  const g = new common.GlobalPositionInt();
  Object.assign(g, { timeBootMs: 1, lat: Math.round(latDeg * 1e7), lon: Math.round(lonDeg * 1e7), alt: 50_000, relativeAlt: 40_000, vx: 0, vy: 0, vz: 0, hdg: 0 });
  return g;
}

function ack(command: number, targetSystem = 255, targetComponent = 190): common.CommandAck {
  const a = new common.CommandAck();
  a.command = command;
  a.result = common.MavResult.ACCEPTED;
  a.progress = 0;
  a.targetSystem = targetSystem;
  a.targetComponent = targetComponent;
  return a;
}

/** Sends `make()` every `everyMs` until stopped (a flood that would keep a link alive). */
function every(everyMs: number, send: () => void): () => void {
  const t = setInterval(send, everyMs);
  closers.push(() => clearInterval(t));
  return () => clearInterval(t);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('udp:// peer pinning', () => {
  it('a datagram from another port with the drone’s system id neither moves it nor keeps it alive', async () => {
    const { svc, log, port, real } = await serviceWithUdpDrone();
    real.send(position(30.27, 120.06));
    const v = svc.vehicle('drone-1');
    await waitFor(() => v.online && v.telemetryState.latE7 !== undefined, 5000, 'the real drone online');
    expect(v.telemetryState.latE7).toBe(302_700_000);

    // The real drone falls silent; an attacker speaks for system 1 from its own port.
    real.close();
    const attacker = await udpSender(port, 1);
    every(50, () => {
      attacker.send(heartbeat());
      attacker.send(position(31.5, 121.5));
    });
    await waitFor(() => !v.online, 5000, 'link lost despite the attacker’s heartbeats');
    await sleep(300);
    expect(v.online).toBe(false);
    expect(v.telemetryState.latE7).toBe(302_700_000);
    const gl = svc.links.get(`udp://127.0.0.1:${port}`)!;
    expect(gl.link.counters.rejected.wrongPeer).toBeGreaterThan(5);
    expect(gl.link.counters.rejectedBySystem.get(1)?.wrongPeer).toBe(gl.link.counters.rejected.wrongPeer);
    expect(svc.stats().links[0]!.rejected.wrongPeer).toBe(gl.link.counters.rejected.wrongPeer);
    // Logged, but once per source and minute, not once per frame.
    expect(log.filter((l) => l.includes('[wrongPeer]'))).toHaveLength(1);
  });

  it('sends only to the pinned address: a stranger who writes to us hears nothing back', async () => {
    const { svc, port } = await serviceWithUdpDrone();
    await waitFor(() => svc.vehicle('drone-1').online, 5000, 'online');
    // A stranger with another system id sends a frame from its own port and listens.
    const stranger = createSocket('udp4');
    closers.push(() => stranger.close());
    const heard: Buffer[] = [];
    stranger.on('message', (m) => heard.push(m));
    await new Promise<void>((r) => stranger.bind(0, '127.0.0.1', () => r()));
    const frame = new MavLinkProtocolV2(42, 1).serialize(heartbeat(), 0);
    for (let i = 0; i < 5; i++) {
      stranger.send(frame, port, '127.0.0.1');
      await sleep(100);
    }
    await sleep(FAST_TIMEOUTS.gcsHeartbeatMs * 3);
    expect(heard).toHaveLength(0);
  });
});

describe('udpout:// accepts only its configured peer', () => {
  it('frames sent to our port from any other address are dropped and counted', async () => {
    const sim: SimDroneHandle = await startSimDrone({ drone: drone('udpout://127.0.0.1:1', 1), udpPort: 0, speed: 10, prearmDelayS: 0 });
    closers.push(() => sim.close());
    const url = `udpout://127.0.0.1:${sim.udpPort}`;
    const { svc, stream } = await service([drone(url)]);
    const v = svc.vehicle('drone-1');
    await waitFor(() => v.online && v.telemetryState.latE7 !== undefined, 5000, 'sim online');
    const attacker = await udpSender(stream().localPort, 1);
    const stop = every(20, () => attacker.send(position(31.5, 121.5)));
    await sleep(400);
    stop();
    expect(Math.abs(v.telemetryState.latE7! - 315_000_000)).toBeGreaterThan(1_000_000);
    expect(svc.links.get(url)!.link.counters.rejected.wrongPeer).toBeGreaterThan(5);
  });
});

describe('acks must come from the drone and be addressed to us', () => {
  it('a forged COMMAND_ACK from another port does not settle the command in the ledger', async () => {
    const { svc, port, real } = await serviceWithUdpDrone();
    const v = svc.vehicle('drone-1');
    await waitFor(() => v.online, 5000, 'online');
    const attacker = await udpSender(port, 1);
    const stop = every(20, () => attacker.send(ack(common.MavCmd.NAV_RETURN_TO_LAUNCH)));
    const issued = svc.drones.issue('drone-1', { action: 'rtl' }, 'test');
    const rec = await issued.done;
    stop();
    expect(rec.state).not.toBe('succeeded');
    expect(real.received.some((m) => m instanceof common.CommandLong && m.command === common.MavCmd.NAV_RETURN_TO_LAUNCH)).toBe(true);
  });

  it('a COMMAND_ACK addressed to another system or component does not settle ours; one addressed to us does', async () => {
    const { svc, port, real } = await serviceWithUdpDrone();
    const v = svc.vehicle('drone-1');
    await waitFor(() => v.online, 5000, 'online');
    // From the pinned drone itself: acks another GCS (system 254) earned, and one for a
    // component of ours that is not the ground station.
    const stop = every(20, () => {
      real.link.send(ack(common.MavCmd.NAV_RETURN_TO_LAUNCH, 254, 190));
      real.link.send(ack(common.MavCmd.NAV_RETURN_TO_LAUNCH, 255, 1));
    });
    const first = await svc.drones.issue('drone-1', { action: 'rtl' }, 'test').done;
    stop();
    expect(first.state).not.toBe('succeeded');
    const gl = svc.links.get(`udp://127.0.0.1:${port}`)!;
    expect(gl.counters.notForUs).toBeGreaterThan(0);

    real.commandReplies.set(common.MavCmd.NAV_RETURN_TO_LAUNCH, [{ result: common.MavResult.ACCEPTED }]);
    const second = await svc.drones.issue('drone-1', { action: 'rtl' }, 'test').done;
    expect(second.state).toBe('succeeded');
  });

  it('a MISSION_ACK addressed to another GCS does not end our upload', async () => {
    const { svc, real } = await serviceWithUdpDrone();
    const v = svc.vehicle('drone-1');
    await waitFor(() => v.online, 5000, 'online');
    // Another GCS's fence upload fails on the same vehicle while ours runs: its
    // MISSION_ACK NO_SPACE goes out right after the vehicle asks us for our first item.
    real.link.on('message', (m) => {
      if (!(m.data instanceof common.MissionCount)) return;
      const a = new common.MissionAck();
      a.targetSystem = 254;
      a.targetComponent = 190;
      a.type = common.MavMissionResult.NO_SPACE;
      a.missionType = common.MavMissionType.FENCE;
      real.link.send(a);
    });
    const r = await v.geofence.upload(fencePolygon([
      { latDeg: 30.26, lonDeg: 120.05 },
      { latDeg: 30.28, lonDeg: 120.05 },
      { latDeg: 30.28, lonDeg: 120.08 },
    ]));
    expect(r.status).toBe('success');
  });
});

/** Signed HEARTBEAT bytes as a drone with `key` would send them. */
function signedFrame(msg: MavLinkData, key: Buffer, sysid = 1, seq = 0, wallMs = Date.now()): Buffer {
  const raw = new MavLinkProtocolV2(sysid, 1, IFLAG_SIGNED).serialize(msg, seq);
  return new FrameSigner({ key, linkId: 0, wallClockMs: () => wallMs }).sign(raw);
}

async function rawSocket(): Promise<import('node:dgram').Socket> {
  const s = createSocket('udp4');
  closers.push(() => s.close());
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s;
}

describe('MAVLink 2 signing', () => {
  it('refuses unsigned and wrongly signed frames from a drone with a key, and pins only a correctly signed one', async () => {
    const port = await findFreeUdpPort();
    const url = `udp://127.0.0.1:${port}`;
    const { svc } = await service([drone(url, 1, 'k1')], new Map([['drone-1', KEY]]));
    const v = svc.vehicle('drone-1');
    const gl = svc.links.get(url)!;
    const unsigned = await udpSender(port, 1);
    const wrong = await udpSender(port, 1, new FrameSigner({ key: OTHER_KEY, linkId: 0 }));
    const stop = every(50, () => {
      unsigned.send(heartbeat());
      wrong.send(heartbeat());
    });
    await waitFor(() => gl.link.counters.rejected.unsigned > 3 && gl.link.counters.rejected.badSignature > 3, 3000, 'refusals counted');
    expect(v.online).toBe(false);
    expect(gl.pinning!.pinnedPeer(1)).toBeUndefined();
    stop();

    const good = await udpSender(port, 1, new FrameSigner({ key: KEY, linkId: 0 }));
    every(50, () => good.send(heartbeat()));
    await waitFor(() => v.online, 3000, 'online once correctly signed');
    expect(gl.pinning!.pinnedPeer(1)).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('refuses a replayed signed frame, even from the pinned address, and a stale one for a new stream', async () => {
    const port = await findFreeUdpPort();
    const url = `udp://127.0.0.1:${port}`;
    const { svc } = await service([drone(url, 1, 'k1')], new Map([['drone-1', KEY]]));
    const v = svc.vehicle('drone-1');
    const gl = svc.links.get(url)!;
    const sock = await rawSocket();
    // Two minutes old: a frame recorded earlier and played back to a fresh control process.
    sock.send(signedFrame(heartbeat(), KEY, 1, 0, Date.now() - 120_000), port, '127.0.0.1');
    await waitFor(() => gl.link.counters.rejected.replay > 0, 3000, 'stale frame refused');
    expect(v.online).toBe(false);

    const captured = signedFrame(heartbeat(), KEY);
    sock.send(captured, port, '127.0.0.1');
    await waitFor(() => v.online, 3000, 'online on the fresh frame');
    // The same bytes again and again: they must not keep the link alive.
    every(50, () => sock.send(captured, port, '127.0.0.1'));
    await waitFor(() => !v.online, 5000, 'link lost despite the replays');
    expect(gl.link.counters.rejected.replay).toBeGreaterThan(5);
  });

  it('flies a correctly signed simulated drone normally over udpout://', async () => {
    const site = demoSite().site;
    const sim = await startSimDrone({ drone: site.drones[0]!, udpPort: 0, speed: 10, prearmDelayS: 0, signingKey: KEY });
    closers.push(() => sim.close());
    const url = `udpout://127.0.0.1:${sim.udpPort}`;
    const { svc } = await service([drone(url, site.drones[0]!.mavlink.systemId, 'k1')], new Map([['drone-1', KEY]]));
    const v = svc.vehicle('drone-1');
    await waitFor(() => v.online && v.telemetryState.latE7 !== undefined, 5000, 'signed sim online');
    expect((await v.action.setMode('GUIDED')).status).toBe('success');
    expect((await v.action.arm()).status).toBe('success');
    expect((await v.action.takeoff(10)).status).toBe('success');
    await waitFor(() => sim.state().altRelM > 3, 10_000, 'climbing');
    const gl = svc.links.get(url)!;
    expect(gl.link.counters.rejected).toEqual({ wrongPeer: 0, wrongSystem: 0, badSignature: 0, replay: 0, unsigned: 0 });
  });

  it('over tcp://, refuses an unsigned drone when the site gives it a key', async () => {
    const site = demoSite().site;
    const sim = await startSimDrone({ drone: site.drones[0]!, tcpPort: 0, speed: 10, prearmDelayS: 0 });
    closers.push(() => sim.close());
    const url = `tcp://127.0.0.1:${sim.tcpPort}`;
    const { svc } = await service([drone(url, site.drones[0]!.mavlink.systemId, 'k1')], new Map([['drone-1', KEY]]));
    const gl = svc.links.get(url)!;
    await waitFor(() => gl.link.counters.rejected.unsigned > 0, 5000, 'unsigned refused');
    await sleep(300);
    expect(svc.vehicle('drone-1').online).toBe(false);
  });

  it('a signed sim drone, like ArduPilot with a key installed, ignores commands from an unsigned ground station', async () => {
    const site = demoSite().site;
    const sim = await startSimDrone({ drone: site.drones[0]!, udpPort: 0, speed: 10, prearmDelayS: 0, signingKey: KEY });
    closers.push(() => sim.close());
    const url = `udpout://127.0.0.1:${sim.udpPort}`;
    const { svc } = await service([drone(url, site.drones[0]!.mavlink.systemId)]);
    const v = svc.vehicle('drone-1');
    await waitFor(() => v.online, 5000, 'its heartbeats heard');
    const before = sim.state().mode;
    expect((await v.action.setMode(before === 'LOITER' ? 'GUIDED' : 'LOITER')).status).not.toBe('success');
    expect(sim.state().mode).toBe(before);
  });

  it('refuses to start a drone whose site entry names a key the secrets do not hold', async () => {
    await expect(startControlService({ site: { drones: [drone('udp://127.0.0.1:1', 1, 'k1')] }, timeouts: FAST_TIMEOUTS })).rejects.toThrow(/signing.*k1/);
  });
});
