import type { Duplex } from 'node:stream';
import { UdpDuplex } from './transports/udp.ts';
import { ReconnectingTcpDuplex } from './transports/tcp.ts';

export type MavlinkEndpoint =
  | { transport: 'udp'; host: string; port: number }
  | { transport: 'udpout'; host: string; port: number }
  | { transport: 'tcp'; host: string; port: number };

/** Parses the site file's `udp://`, `udpout://` and `tcp://` endpoint URLs. */
export function parseEndpoint(url: string): MavlinkEndpoint {
  const m = /^(udp|udpout|tcp):\/\/([^\s:/]+):(\d{1,5})$/.exec(url);
  if (!m) throw new Error(`MAVLink endpoint "${url}" must look like udp://host:port, udpout://host:port or tcp://host:port`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`MAVLink endpoint "${url}": port ${port} is out of range`);
  return { transport: m[1] as MavlinkEndpoint['transport'], host: m[2]!, port };
}

/**
 * Opens the ground side of an endpoint: `udp` listens on host:port for vehicles,
 * `udpout` sends to a vehicle listening at host:port, `tcp` dials host:port.
 */
export async function openGroundStream(ep: MavlinkEndpoint): Promise<Duplex> {
  switch (ep.transport) {
    case 'udp':
      return UdpDuplex.open({ bindPort: ep.port, bindHost: ep.host });
    case 'udpout':
      // Bound to loopback only when the vehicle is local: a socket bound to 127.0.0.1
      // cannot send to a vehicle on the network.
      return UdpDuplex.open({ bindPort: 0, bindHost: isLoopback(ep.host) ? '127.0.0.1' : '0.0.0.0', remote: { host: ep.host, port: ep.port } });
    case 'tcp':
      return new ReconnectingTcpDuplex({ host: ep.host, port: ep.port });
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host.startsWith('127.');
}
