/**
 * Simulated ArduPilot Copter vehicles, one MAVLink 2 endpoint each (system id from the
 * site, component 1). `startSimDrone` opens real sockets (UDP answering whichever ground
 * station spoke, and/or a SITL-style TCP server); `attachSimDrone` runs the same vehicle
 * over any Duplex.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { UdpDuplex } from '../../mavlink/transports/udp.ts';
import { SimDroneRunner, type SimLinkOptions } from './runner/runner.ts';
import type { SimDroneHandle, SimDroneOptions } from './types.ts';

export type * from './types.ts';
export { SimVehicle } from './model/vehicle.ts';

/** Starts one vehicle on its own UDP port and/or TCP server (port 0 = any free port). */
export async function startSimDrone(opts: SimDroneOptions): Promise<SimDroneHandle> {
  const runner = new SimDroneRunner(opts, opts.speed ?? 1, linkOptionsOf(opts));
  let udp: UdpDuplex | undefined;
  let tcp: Server | undefined;
  const sockets = new Set<Socket>();
  try {
    if (opts.udpPort !== undefined) {
      udp = await UdpDuplex.open({ bindPort: opts.udpPort, bindHost: '127.0.0.1' });
      runner.attach(udp);
    }
    if (opts.tcpPort !== undefined) {
      const server = createServer((s) => {
        s.setNoDelay(true);
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => s.destroy());
        runner.attach(s);
      });
      tcp = server;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.tcpPort, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
    }
  } catch (err) {
    runner.close();
    udp?.destroy();
    tcp?.close();
    throw err;
  }
  const tcpAddr = tcp?.address();
  return {
    ...handleOf(runner, opts),
    udpPort: udp?.localPort,
    tcpPort: tcpAddr && typeof tcpAddr === 'object' ? tcpAddr.port : undefined,
    async close() {
      runner.close();
      for (const s of sockets) s.destroy();
      if (tcp) await new Promise<void>((resolve) => tcp!.close(() => resolve()));
    },
  };
}

/** Same vehicle over any Duplex (an in-memory pair in unit tests). */
export function attachSimDrone(stream: Duplex, opts: Omit<SimDroneOptions, 'udpPort' | 'tcpPort'>): SimDroneHandle {
  const runner = new SimDroneRunner(opts, opts.speed ?? 1, linkOptionsOf(opts));
  runner.attach(stream);
  return {
    ...handleOf(runner, opts),
    async close() {
      runner.close();
    },
  };
}

function handleOf(runner: SimDroneRunner, opts: Pick<SimDroneOptions, 'drone'>): Omit<SimDroneHandle, 'close'> {
  return {
    id: opts.drone.id,
    systemId: opts.drone.mavlink.systemId,
    state: () => runner.state(),
    injectFault: (f) => runner.injectFault(f),
    clearFaults: () => runner.clearFaults(),
  };
}

function linkOptionsOf(opts: Pick<SimDroneOptions, 'signingKey'>): SimLinkOptions {
  return opts.signingKey ? { signingKey: opts.signingKey } : {};
}
