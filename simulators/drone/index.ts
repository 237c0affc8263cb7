/**
 * Simulated ArduPilot Copter vehicles, one MAVLink 2 endpoint each.
 * Public API: startSimDrone (UDP/TCP sockets), attachSimDrone (any Duplex).
 */
import type { Duplex } from 'node:stream';
import type { SimDroneHandle, SimDroneOptions } from './types.ts';

export type * from './types.ts';

/** Starts one vehicle on its own UDP port and/or TCP server (port 0 = any free port). */
export async function startSimDrone(opts: SimDroneOptions): Promise<SimDroneHandle> {
  void opts;
  throw new Error('startSimDrone: vehicle model lands in the next commit');
}

/** Same vehicle over any Duplex (an in-memory pair in unit tests). */
export function attachSimDrone(stream: Duplex, opts: Omit<SimDroneOptions, 'udpPort' | 'tcpPort'>): SimDroneHandle {
  void stream;
  void opts;
  throw new Error('attachSimDrone: vehicle model lands in the next commit');
}
