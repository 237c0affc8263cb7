/**
 * Refuses an MQTT packet whose fixed header declares more bytes than allowed, as soon as
 * that header has been read and before the body is buffered.
 *
 * Why: aedes' parser (mqtt-packet) appends everything it reads to one buffer list until
 * the declared remaining length has arrived, so a CONNECT declaring 100 MB was held whole
 * before authentication (6 sockets took 735 MB). The guard sits on the stream's `read()`,
 * which is how aedes pulls bytes, and walks only the fixed headers: per chunk it touches
 * the 2-5 header bytes of each packet and skips bodies by arithmetic, so it copies
 * nothing and costs a few operations per packet on the hot path.
 */

/** Remaining-length limits; MQTT's own ceiling is 268,435,455 [MQTT-2.2.3]. */
export interface PacketSizeLimits {
  /** Largest CONNECT (type 1) remaining length. */
  maxConnectBytes: number;
  /** Largest remaining length of any other packet. */
  maxPacketBytes: number;
}

export type PacketSizeRefusal =
  | { reason: 'oversize_packet'; packetType: number; declaredBytes: number; limitBytes: number }
  | { reason: 'malformed_length' };

const CONNECT = 1;

/**
 * A pure scanner over the byte stream of one connection: feed it each chunk in order; it
 * returns a refusal as soon as one header breaks the limits, else undefined.
 */
export class PacketSizeScanner {
  /** Body bytes of the current packet still to skip. */
  private skip = 0;
  /** Header state: -1 = expecting the type byte; otherwise the packet type being read. */
  private type = -1;
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;

  constructor(private readonly limits: PacketSizeLimits) {}

  scan(chunk: Uint8Array): PacketSizeRefusal | undefined {
    let pos = 0;
    const end = chunk.length;
    while (pos < end) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, end - pos);
        this.skip -= n;
        pos += n;
        continue;
      }
      const byte = chunk[pos++]!;
      if (this.type === -1) {
        this.type = byte >> 4;
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
        continue;
      }
      // Remaining length: 7 bits per byte, least significant first, at most 4 bytes [MQTT-2.2.3].
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.lengthBytes++;
      const limitBytes = this.type === CONNECT ? this.limits.maxConnectBytes : this.limits.maxPacketBytes;
      if (this.length > limitBytes) return { reason: 'oversize_packet', packetType: this.type, declaredBytes: this.length, limitBytes };
      if (byte & 0x80) {
        if (this.lengthBytes === 4) return { reason: 'malformed_length' };
        continue;
      }
      this.skip = this.length;
      this.type = -1;
    }
    return undefined;
  }
}

/** The part of a readable stream the guard wraps (net.Socket, a WebSocket stream, a duplex in tests). */
export interface GuardableStream {
  read(size?: number): unknown;
  destroy(error?: Error): unknown;
}

/**
 * Installs the scanner on `stream.read`: a chunk that breaks the limits is never handed
 * to aedes; the stream is destroyed instead and `onRefuse` is told why.
 */
export function guardPacketSizes(stream: GuardableStream, limits: PacketSizeLimits, onRefuse: (r: PacketSizeRefusal) => void): void {
  const scanner = new PacketSizeScanner(limits);
  const read = stream.read.bind(stream);
  let refused = false;
  stream.read = (size?: number) => {
    if (refused) return null;
    const chunk = read(size);
    if (chunk === null || chunk === undefined || typeof chunk === 'string') return chunk;
    const refusal = scanner.scan(chunk as Uint8Array);
    if (!refusal) return chunk;
    refused = true;
    onRefuse(refusal);
    stream.destroy();
    return null;
  };
}
