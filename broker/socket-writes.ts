import type { Socket } from 'node:net';

/**
 * Adapts how aedes writes to one TCP socket. Two things, both measured:
 *
 * 1. One buffer, one syscall per event-loop turn. aedes writes each packet through
 *    mqtt-packet, which calls write() once per field: a PUBLISH is five or six chunks
 *    (header, length, topic length, topic, id, payload), a PUBACK three. Left to the
 *    socket, every chunk becomes a request object in the Writable's buffer and an entry
 *    in a writev whose iovec array Node builds element by element; bench:broker put that
 *    writev at half of the broker's sampled CPU at 10k msg/s (issue 18). Here the chunks
 *    of one loop turn are only remembered, then copied into one Buffer and written once
 *    at setImmediate (at most one loop turn of latency), or at once when they reach
 *    FLUSH_BYTES.
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

/**
 * Held chunks are written at once past this many bytes. Also bounds how far the socket's
 * writableLength, which authorizeForward reads for a subscriber's backlog, can lag.
 */
export const FLUSH_BYTES = 64 * 1024;

const stalled = new WeakSet<object>();

/** True while the connection is marked stalled (only TCP sockets adapted here can be). */
export function isStalled(conn: object): boolean {
  return stalled.has(conn);
}

type WriteCallback = (err?: Error | null) => void;

/** Copies `chunks` (Buffers, and strings of `bytes` UTF-8 bytes in total) into one Buffer. */
function joinChunks(chunks: readonly (Buffer | string)[], bytes: number): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  let at = 0;
  for (const c of chunks) at += typeof c === 'string' ? out.write(c, at, 'utf8') : c.copy(out, at);
  return out;
}

export function adaptSocketWrites(socket: Socket, opts: SocketWriteOptions): void {
  const write = socket.write.bind(socket) as (chunk: unknown, encoding?: BufferEncoding, cb?: WriteCallback) => boolean;
  const end = socket.end.bind(socket) as (...args: unknown[]) => Socket;
  let held: (Buffer | string)[] = [];
  let heldBytes = 0;
  let flushScheduled = false;
  let stallTimer: NodeJS.Timeout | undefined;

  /** Writes what is held, in one piece; returns the socket's answer (true when nothing was held). */
  const flush = (): boolean => {
    if (heldBytes === 0 && held.length === 0) return true;
    const chunks = held;
    const bytes = heldBytes;
    held = [];
    heldBytes = 0;
    if (socket.destroyed) return false;
    return write(chunks.length === 1 && typeof chunks[0] !== 'string' ? chunks[0] : joinChunks(chunks, bytes));
  };
  const scheduledFlush = () => {
    flushScheduled = false;
    flush();
  };
  /** What aedes hears for a write the socket did not take whole: wait for 'drain', unless the socket is marked stalled. */
  const answer = (accepted: boolean): boolean => {
    if (accepted) return true;
    if (socket.writableLength >= opts.hardLimitBytes) return false;
    if (stalled.has(socket)) return true;
    stallTimer ??= setTimeout(markStalled, opts.stallMs);
    return false;
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
    held = [];
    heldBytes = 0;
  });

  socket.write = ((chunk: unknown, encoding?: BufferEncoding | WriteCallback, cb?: WriteCallback) => {
    if (typeof encoding === 'function') [cb, encoding] = [encoding, undefined];
    const isText = typeof chunk === 'string' && (encoding === undefined || encoding === 'utf8' || encoding === 'utf-8');
    // Anything else (a callback to honour, another encoding, a typed array) keeps its
    // order behind what is held and goes to the socket as it is.
    // So does a chunk of FLUSH_BYTES or more (a large service payload), uncopied.
    if (socket.destroyed || cb || !(isText || Buffer.isBuffer(chunk)) || (!isText && (chunk as Buffer).length >= FLUSH_BYTES)) {
      flush();
      return answer(write(chunk, encoding, cb));
    }
    held.push(chunk as Buffer | string);
    heldBytes += isText ? Buffer.byteLength(chunk as string) : (chunk as Buffer).length;
    if (heldBytes >= FLUSH_BYTES) return answer(flush());
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(scheduledFlush);
    }
    // The socket's own verdict on what it already holds: when it wants a drain, one will come.
    return answer(!socket.writableNeedDrain);
  }) as Socket['write'];

  // end() must not overtake what is held.
  socket.end = ((...args: unknown[]) => {
    flush();
    return end(...args);
  }) as Socket['end'];
}
