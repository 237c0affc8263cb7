/**
 * Worker body: simulated drones (simulators/drone) on loopback UDP, each with a tap that
 * records when a GCS HEARTBEAT arrived and whether it passed the vehicle's own signature
 * and replay checks, as a MAVLink 2 receiver with the drone's key sees it.
 */
import { PassThrough, Duplex, Writable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { minimal } from 'node-mavlink';
import { MavlinkLink } from '../../../mavlink/link.ts';
import { UdpDuplex } from '../../../mavlink/transports/udp.ts';
import { attachSimDrone, type SimDroneHandle } from '../../../simulators/drone/index.ts';
import type { Drone } from '../../../site/schema.ts';
import type { PeerReport } from './vehicle-peers.ts';

const port = parentPort!;
const { drones, keys } = workerData as { drones: Drone[]; keys: Record<string, Uint8Array> };

const report: PeerReport = {};
const sims: SimDroneHandle[] = [];
const sockets: UdpDuplex[] = [];
const taps: MavlinkLink[] = [];
const ports: number[] = [];

for (const drone of drones) {
  const key = keys[drone.id] ? Buffer.from(keys[drone.id]!) : undefined;
  const udp = await UdpDuplex.open({ bindPort: 0, bindHost: '127.0.0.1' });
  sockets.push(udp);
  ports.push(udp.localPort);
  sims.push(attachSimDrone(udp, { drone, prearmDelayS: 0, gpsNoiseM: 0, ...(key ? { signingKey: key } : {}) }));
  const r: PeerReport[string] = { gcsHeartbeatsAtMs: [], refused: {} };
  report[drone.id] = r;
  const tapIn = new PassThrough();
  udp.on('data', (chunk: Buffer) => tapIn.write(chunk));
  const tap = new MavlinkLink(
    Duplex.from({ readable: tapIn, writable: new Writable({ write: (_c, _e, cb) => cb() }) }),
    { systemId: drone.mavlink.systemId, componentId: 1 },
    { security: { acceptSystems: new Set([255]), ...(key ? { keyOf: () => key } : {}) } },
  );
  tap.on('message', (m) => {
    if (m.msgid === minimal.Heartbeat.MSG_ID && m.compid === 190) r.gcsHeartbeatsAtMs.push(Date.now());
  });
  tap.on('rejected', (reason) => (r.refused[reason] = (r.refused[reason] ?? 0) + 1));
  taps.push(tap);
}

port.on('message', async (m: { t: 'report' } | { t: 'close' }) => {
  if (m.t === 'report') port.postMessage({ t: 'report', report });
  if (m.t === 'close') {
    for (const t of taps) t.close();
    await Promise.all(sims.map((s) => s.close()));
    for (const s of sockets) s.destroy();
    port.close();
  }
});
port.postMessage({ t: 'ready', ports });
