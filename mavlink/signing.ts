import { timingSafeEqual } from 'node:crypto';
import { MavLinkPacketSignature } from 'node-mavlink';

/**
 * MAVLink 2 message signing (https://mavlink.io/en/guide/message_signing.html): a 13-byte
 * trailer of link id (1), timestamp (6, little endian, 10 µs units since 2015-01-01 UTC)
 * and the first 6 bytes of SHA-256(secret key + frame up to and including the timestamp).
 * The hash itself is node-mavlink's MavLinkPacketSignature; this file adds what the
 * library leaves to the caller: the monotonic timestamp when sending, and the replay
 * rules when receiving.
 */

export const SIGNATURE_LENGTH = MavLinkPacketSignature.SIGNATURE_LENGTH;
/** Bit 0 of a MAVLink 2 frame's incompat_flags: a signature trailer follows the CRC. */
export const IFLAG_SIGNED = 0x01;
const EPOCH_2015_MS = Date.UTC(2015, 0, 1);
/** The spec's window for a stream we have not heard before: one minute, in 10 µs units. */
export const NEW_STREAM_WINDOW_UNITS = 60 * 100_000;
/** RADIO_STATUS: the spec lets a receiver accept it unsigned, as SiK radios inject it. */
export const MSG_ID_RADIO_STATUS = 109;

/** Wall-clock milliseconds → signing timestamp (10 µs units since 2015-01-01). */
export function signingTimestamp(wallMs: number): number {
  return Math.max(0, Math.round((wallMs - EPOCH_2015_MS) * 100));
}

/**
 * A 32-byte secret key from its 64-hex-digit text form (how the secrets file holds it;
 * also what MAVProxy's `signing setup` and Mission Planner print). Throws a message that
 * never contains the key itself.
 */
export function parseSigningKey(hex: string, what: string): Buffer {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error(`${what}: a MAVLink signing key must be 64 hex digits (32 bytes)`);
  return Buffer.from(hex, 'hex');
}

export interface FrameSignerOptions {
  key: Buffer;
  /** The link id we put in every frame (0-255); the receiver's replay state is per (sysid, compid, link id). */
  linkId: number;
  /** Wall clock in ms (default Date.now): the far side checks our timestamps against its own clock. */
  wallClockMs?: () => number;
}

/**
 * Signs outgoing frames with one key on one link id. Timestamps are strictly increasing:
 * the spec requires it per link (a receiver drops a timestamp not above the last), so
 * frames sent within the same 10 µs, or after the wall clock stepped back, take last + 1.
 */
export class FrameSigner {
  readonly linkId: number;
  private readonly key: Buffer;
  private readonly wallClockMs: () => number;
  private lastTimestamp = 0;

  constructor(opts: FrameSignerOptions) {
    if (opts.key.length !== 32) throw new Error('a MAVLink signing key is 32 bytes');
    if (!Number.isInteger(opts.linkId) || opts.linkId < 0 || opts.linkId > 255) throw new Error(`link id ${opts.linkId} is not 0-255`);
    this.key = opts.key;
    this.linkId = opts.linkId;
    this.wallClockMs = opts.wallClockMs ?? Date.now;
  }

  /**
   * Appends the signature trailer to a serialised MAVLink 2 frame whose incompat_flags
   * already carry IFLAG_SIGNED (the flag is covered by the CRC, so it must be set before
   * serialising; MavlinkLink keeps a second protocol object for that).
   */
  sign(frame: Buffer): Buffer {
    const out = Buffer.allocUnsafe(frame.length + SIGNATURE_LENGTH);
    frame.copy(out, 0);
    const ts = Math.max(signingTimestamp(this.wallClockMs()), this.lastTimestamp + 1);
    this.lastTimestamp = ts;
    const sig = new MavLinkPacketSignature(out);
    sig.linkId = this.linkId;
    sig.timestamp = ts;
    sig.signature = sig.calculate(this.key);
    return out;
  }
}

/** Why a frame's signature was refused; the names are the LinkCounters reasons. */
export type SignatureRefusal = 'unsigned' | 'badSignature' | 'replay';

/** Reads a signed frame's trailer, or undefined when the frame carries none. */
export function signatureOf(frame: Buffer): { linkId: number; timestamp: number } | undefined {
  if (frame.length < 12 + SIGNATURE_LENGTH || frame[0] !== 0xfd || (frame[2]! & IFLAG_SIGNED) === 0) return undefined;
  const s = new MavLinkPacketSignature(frame);
  return { linkId: s.linkId, timestamp: s.timestamp };
}

/** True when the frame's 48-bit signature is the one `key` gives (compared in constant time). */
export function signatureMatches(frame: Buffer, key: Buffer): boolean {
  const s = new MavLinkPacketSignature(frame);
  const expected = Buffer.from(s.calculate(key), 'hex');
  return timingSafeEqual(expected, frame.subarray(frame.length - 6));
}

/**
 * Checks one received frame against a key without remembering anything: signed, the
 * right signature, and (as for a stream heard for the first time) a timestamp within one
 * minute of our clock. The peer-pinning gate uses this before it trusts a new address.
 */
export function checkSignedFrame(frame: Buffer, msgid: number, key: Buffer, nowUnits: number): SignatureRefusal | undefined {
  const sig = signatureOf(frame);
  if (!sig) return msgid === MSG_ID_RADIO_STATUS ? undefined : 'unsigned';
  if (!signatureMatches(frame, key)) return 'badSignature';
  if (Math.abs(sig.timestamp - nowUnits) > NEW_STREAM_WINDOW_UNITS) return 'replay';
  return undefined;
}

/** Streams remembered per link; new ones are created only by correctly signed frames, so this bounds memory, not trust. */
const MAX_STREAMS = 4096;

/**
 * Verifies signed frames on one link and keeps the spec's replay state: the last
 * timestamp per (sysid, compid, link id) stream. A frame whose timestamp is not above its
 * stream's last is a replay; a stream heard for the first time must be within one minute
 * of our clock (either way: a far-future timestamp from a leaked frame would otherwise pin
 * the stream and lock the real sender out).
 */
export class SignatureVerifier {
  private readonly lastByStream = new Map<number, number>();
  private readonly wallClockMs: () => number;

  constructor(opts: { wallClockMs?: () => number } = {}) {
    this.wallClockMs = opts.wallClockMs ?? Date.now;
  }

  /** `frame` is the whole frame as received; `key` is the sender's. Undefined means accepted (and remembered). */
  verify(frame: Buffer, sysid: number, compid: number, msgid: number, key: Buffer): SignatureRefusal | undefined {
    const sig = signatureOf(frame);
    if (!sig) return msgid === MSG_ID_RADIO_STATUS ? undefined : 'unsigned';
    if (!signatureMatches(frame, key)) return 'badSignature';
    const stream = (sysid << 16) | (compid << 8) | sig.linkId;
    const last = this.lastByStream.get(stream);
    if (last === undefined) {
      if (Math.abs(sig.timestamp - signingTimestamp(this.wallClockMs())) > NEW_STREAM_WINDOW_UNITS) return 'replay';
      if (this.lastByStream.size >= MAX_STREAMS) this.lastByStream.delete(this.lastByStream.keys().next().value!);
    } else if (sig.timestamp <= last) {
      return 'replay';
    }
    this.lastByStream.set(stream, sig.timestamp);
    return undefined;
  }
}
