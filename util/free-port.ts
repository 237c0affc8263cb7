import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';

/**
 * Asks the kernel for a free TCP port on 127.0.0.1 (bind port 0, read it, close).
 * Needed for programs like influxd that cannot be told "port 0" and report back;
 * there is a small window in which another process could take the port.
 */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** The same for a UDP port (MAVLink endpoints in a site file written by a test). */
export async function findFreeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
