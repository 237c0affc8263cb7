import type { Socket } from 'node:net';

/**
 * Adapts how aedes writes to one TCP socket. Two things, both measured:
 *
 * 1. One syscall per event-loop turn. aedes writes each delivered packet through
 *    mqtt-packet, which corks the socket and uncorks on the next tick: one writev per
 *    packet. Profiling bench:broker put that syscall at ~18% of the broker's CPU at
 *    40k msg/s. Holding the socket corked until setImmediate sends everything written
 *    in this turn in one writev, for at most one loop turn of latency.
 *
 * 2. A stalled subscriber must not stall publishers. aedes completes a publish only when
 *    every delivery's write has been accepted; a write that returns false makes it wait
 *    for 'drain'. That is good backpressure for a subscriber that is briefly behind (no
 *    loss, publishers slow down a little), and bad for one that stopped reading: it
 *    holds back every publisher of a topic it matches until aedes' drain timeout. So
 *    once a socket has stayed full for `stallMs`, it is marked stalled: the waiting
 *    publishers are released, further writes are accepted without waiting, and routine
 *    QoS 0 deliveries to it are shed (see authorizeForward) while commands, acks,
 *    status and events still queue — up to `hardLimitBytes`. Past that, write() says
 *    "full" again, aedes waits, and its drain timeout disconnects the subscriber. The
 *    mark clears when the socket really drains.
 */
export interface SocketWriteOptions {
  hardLimitBytes: number;
  stallMs: number;
}

const stalled = new WeakSet<object>();

/** True while the connection is marked stalled (only TCP sockets adapted here can be). */
export function isStalled(conn: object): boolean {
  return stalled.has(conn);
}

export function adaptSocketWrites(socket: Socket, opts: SocketWriteOptions): void {
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  let corked = false;
  let stallTimer: NodeJS.Timeout | undefined;
  const flush = () => {
    corked = false;
    if (!socket.destroyed) socket.uncork();
  };
  const markStalled = () => {
    stallTimer = undefined;
    if (socket.destroyed) return;
    stalled.add(socket);
    // Release the publishers aedes parked on this socket's 'drain' (Node will still emit
    // the real one when the buffer empties, which clears the mark below).
    socket.emit('drain');
  };
  socket.on('drain', () => {
    if (socket.writableLength > 0) return; // our own release above, not a real drain
    stalled.delete(socket);
    if (stallTimer) clearTimeout(stallTimer);
    stallTimer = undefined;
  });
  socket.once('close', () => {
    if (stallTimer) clearTimeout(stallTimer);
    stalled.delete(socket);
  });
  socket.write = ((...args: unknown[]) => {
    if (!corked && !socket.destroyed) {
      corked = true;
      socket.cork();
      setImmediate(flush);
    }
    if (write(...args)) return true;
    if (socket.writableLength >= opts.hardLimitBytes) return false;
    if (stalled.has(socket)) return true;
    stallTimer ??= setTimeout(markStalled, opts.stallMs);
    return false;
  }) as Socket['write'];
}
