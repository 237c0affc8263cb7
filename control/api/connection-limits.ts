import type { Server, Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { ConnectionAdmission } from './connection-admission.ts';

/**
 * Caps open connections in total and per source address (the policy, and why a full
 * server makes room rather than refusing, is in connection-admission.ts). A refused
 * connection is destroyed as soon as it is accepted, before any byte is read, so a host
 * holding many slow connections cannot take the file descriptors and memory that every
 * other client (and the rest of the process) need.
 */
export function limitConnections(server: Server, o: { maxTotal: number; maxPerSource: number }): { open: () => number; evicted: () => number } {
  const admission = new ConnectionAdmission<string>(o);
  // Keyed by the peer's address and port: the same for the TCP socket 'connection' sees
  // and the TLS socket a request arrives on over HTTPS.
  const live = new Map<string, Socket>();
  let evicted = 0;
  server.on('connection', (socket: Socket) => {
    const source = socket.remoteAddress;
    if (source === undefined) {
      socket.destroy();
      return;
    }
    const key = `${source}|${socket.remotePort ?? 0}`;
    const verdict = admission.admit(key, source);
    if (!verdict.admit) {
      socket.destroy();
      return;
    }
    if (verdict.evict !== undefined) {
      evicted++;
      const victim = live.get(verdict.evict);
      live.delete(verdict.evict);
      victim?.destroy();
    }
    live.set(key, socket);
    socket.once('close', () => {
      // An evicted key may already belong to a newer socket only if the peer reused its
      // port; the map's own socket is the one to forget.
      if (live.get(key) === socket) {
        live.delete(key);
        admission.closed(key);
      }
    });
  });
  const served = (req: IncomingMessage) => admission.served(`${req.socket.remoteAddress}|${req.socket.remotePort ?? 0}`);
  server.on('request', served);
  server.on('upgrade', served);
  return { open: () => admission.open, evicted: () => evicted };
}
