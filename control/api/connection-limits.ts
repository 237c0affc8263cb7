import type { Server } from 'node:net';

/**
 * Caps open connections in total and per source address. A connection over either
 * cap is destroyed as soon as it is accepted, before any byte is read, so a host
 * holding many slow connections cannot take the file descriptors and memory that
 * every other client (and the MAVLink links in the same process) need.
 */
export function limitConnections(server: Server, o: { maxTotal: number; maxPerSource: number }): { open: () => number } {
  server.maxConnections = o.maxTotal;
  const perSource = new Map<string, number>();
  let open = 0;
  server.on('connection', (socket) => {
    const source = socket.remoteAddress ?? 'unknown';
    const n = perSource.get(source) ?? 0;
    if (n >= o.maxPerSource) {
      socket.destroy();
      return;
    }
    perSource.set(source, n + 1);
    open++;
    socket.once('close', () => {
      open--;
      const left = (perSource.get(source) ?? 1) - 1;
      if (left <= 0) perSource.delete(source);
      else perSource.set(source, left);
    });
  });
  return { open: () => open };
}
