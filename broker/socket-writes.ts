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
 * 2. A slow subscriber must not stall publishers. aedes completes a publish only when
 *    every delivery's write has been accepted; a write that returns false makes it wait
 *    for 'drain', so one subscriber that stops reading holds back every publisher of a
 *    topic it matches. Routine telemetry to such a subscriber is already shed past
 *    maxSubscriberBacklogBytes (see authorizeForward); what still reaches its socket
 *    (commands, acks, status, events) is accepted without waiting up to
 *    `hardLimitBytes`. Past that, write() says "full" again, aedes waits for drain, and
 *    its drainTimeout disconnects the subscriber: memory per subscriber stays bounded.
 */
export function adaptSocketWrites(socket: Socket, hardLimitBytes: number): void {
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  let pending = false;
  const flush = () => {
    pending = false;
    if (!socket.destroyed) socket.uncork();
  };
  socket.write = ((...args: unknown[]) => {
    if (!pending && !socket.destroyed) {
      pending = true;
      socket.cork();
      setImmediate(flush);
    }
    return write(...args) || socket.writableLength < hardLimitBytes;
  }) as Socket['write'];
}
