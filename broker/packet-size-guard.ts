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
  | { reason: 'malformed_length' }
  /** The first CONNECT names a protocol level nobody here speaks: answered CONNACK 0x01, then closed. */
  | { reason: 'protocol_level'; level: number; reply: Buffer };

const CONNECT = 1;
/** Protocol levels the parser understands: 3 (MQIsdp, 3.1), 4 (3.1.1), 5; +128 marks a bridge. */
const KNOWN_LEVELS = new Set([3, 4, 5]);
/** CONNACK, return code 0x01 "unacceptable protocol version" [MQTT-3.1.2-2]. */
const CONNACK_BAD_LEVEL = Buffer.from([0x20, 0x02, 0x00, 0x01]);

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
  /**
   * The first packet's leading body bytes (protocol name and level), collected only while
   * that packet is a CONNECT; null afterwards. mqtt-packet closes the connection on a
   * level it does not know without the CONNACK 0x01 that [MQTT-3.1.2-2] asks for.
   */
  private probe: number[] | null = [];

  constructor(private readonly limits: PacketSizeLimits) {}

  scan(chunk: Uint8Array): PacketSizeRefusal | undefined {
    let pos = 0;
    const end = chunk.length;
    while (pos < end) {
      if (this.skip > 0) {
        if (this.probe) {
          this.probe.push(chunk[pos++]!);
          this.skip--;
          const refusal = this.checkProbe();
          if (refusal) return refusal;
          continue;
        }
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
      if (this.probe && (this.type !== CONNECT || this.skip === 0)) this.probe = null;
      this.type = -1;
    }
    return undefined;
  }

  /** Judges the first CONNECT's protocol name and level once enough bytes are in. */
  private checkProbe(): PacketSizeRefusal | undefined {
    const p = this.probe!;
    if (p.length < 2) return this.endProbeIf(this.skip === 0);
    const nameBytes = (p[0]! << 8) | p[1]!;
    // Only the two names the parser knows; anything else is its to refuse [MQTT-3.1.2-1].
    if (nameBytes !== 4 && nameBytes !== 6) return this.endProbeIf(true);
    if (p.length < 2 + nameBytes + 1) return this.endProbeIf(this.skip === 0);
    const name = String.fromCharCode(...p.slice(2, 2 + nameBytes));
    const raw = p[2 + nameBytes]!;
    this.probe = null;
    const level = raw >= 128 ? raw - 128 : raw;
    if ((name === 'MQTT' || name === 'MQIsdp') && !KNOWN_LEVELS.has(level)) return { reason: 'protocol_level', level: raw, reply: CONNACK_BAD_LEVEL };
    return undefined;
  }

  private endProbeIf(done: boolean): undefined {
    if (done) this.probe = null;
    return undefined;
  }
}

/** The part of a readable stream the guard wraps (net.Socket, a WebSocket stream, a duplex in tests). */
export interface GuardableStream {
  read(size?: number): unknown;
  destroy(error?: Error): unknown;
  end(chunk: Buffer): unknown;
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
    if (refusal.reason === 'protocol_level') {
      // end() flushes the answer before closing; destroy in any case should the peer not read.
      stream.end(refusal.reply);
      setTimeout(() => stream.destroy(), 2_000).unref();
    } else stream.destroy();
    return null;
  };
}
