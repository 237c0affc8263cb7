import { frameCrcOk, walkFrames } from '../frames.ts';
import { SignatureVerifier } from '../signing.ts';

/**
 * When the link thread last took in a good HEARTBEAT from each system id of an endpoint,
 * in wall-clock ms, shared with the main thread. The main thread's link-lost sweep reads
 * it: after the main loop was blocked, the sweep's timer fires before the queued frames are
 * parsed, and without this it would declare lost every vehicle that was talking all along.
 *
 * Layout of the shared buffer (BigInt64, read and written with Atomics): slots 0-255 the
 * stamp per system id (0: never), slot 256 the count of GCS heartbeats the thread sent.
 */
const SLOTS = 257;
const HEARTBEATS_SENT_SLOT = 256;
const MSG_ID_HEARTBEAT = 0;
// HEARTBEAT payload: custom_mode (uint32), then type and autopilot (uint8 each).
const HB_TYPE_OFFSET = 4;
const HB_AUTOPILOT_OFFSET = 5;
const MAV_TYPE_GCS = 6;
const MAV_AUTOPILOT_INVALID = 8;

export function newStampsBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(SLOTS * BigInt64Array.BYTES_PER_ELEMENT);
}

/** The main thread's view of an endpoint's stamps. */
export class HeardStampsReader {
  private readonly slots: BigInt64Array;

  constructor(buffer: SharedArrayBuffer) {
    this.slots = new BigInt64Array(buffer);
  }

  /** Wall-clock ms when the thread last took in a good heartbeat from `sysid`, if ever. */
  heardAtMs(sysid: number): number | undefined {
    const v = Atomics.load(this.slots, sysid & 0xff);
    return v === 0n ? undefined : Number(v);
  }

  get heartbeatsSent(): number {
    return Number(Atomics.load(this.slots, HEARTBEATS_SENT_SLOT));
  }
}

export interface HeartbeatStamperOptions {
  /** System id → its signing key; systems not listed are never stamped. */
  systems: ReadonlyMap<number, Uint8Array | undefined>;
  autopilotComponentId: number;
  /** `stream` (TCP): frames may be cut across chunks, so the cut-off tail is kept for the next one. */
  framing: 'datagram' | 'stream';
  wallClockMs?: () => number;
}

/**
 * The thread side: looks at every admitted chunk's frame headers and stamps a system when
 * its autopilot's HEARTBEAT is one the main thread would also accept: good CRC, not a GCS
 * or INVALID-autopilot heartbeat (the handler skips those), and, for a system with a key,
 * correctly signed and not a replay (its own SignatureVerifier, heartbeats only). Anything
 * less would let a forged frame keep a dead vehicle "alive" for the sweep.
 */
export class HeartbeatStamper {
  private readonly slots: BigInt64Array;
  private readonly keys = new Map<number, Buffer | undefined>();
  private readonly verifier: SignatureVerifier;
  private readonly wallClockMs: () => number;
  private tail: Buffer | undefined;

  constructor(
    buffer: SharedArrayBuffer,
    private readonly opts: HeartbeatStamperOptions,
  ) {
    this.slots = new BigInt64Array(buffer);
    for (const [sysid, key] of opts.systems) this.keys.set(sysid, key ? Buffer.from(key) : undefined);
    this.wallClockMs = opts.wallClockMs ?? Date.now;
    this.verifier = new SignatureVerifier({ wallClockMs: this.wallClockMs });
  }

  /** Looks at one chunk as it goes to the main thread. */
  take(chunk: Buffer): void {
    let buf = chunk;
    if (this.opts.framing === 'stream' && this.tail) buf = Buffer.concat([this.tail, chunk]);
    const stop = walkFrames(buf, (f) => {
      if (f.msgid !== MSG_ID_HEARTBEAT || f.compid !== this.opts.autopilotComponentId || !this.keys.has(f.sysid)) return;
      this.consider(buf.subarray(f.offset, f.offset + f.length), f.sysid, f.compid);
    });
    // A frame is at most 280 bytes; a longer tail is noise the splitter will skip too.
    this.tail = this.opts.framing === 'stream' && stop < buf.length && buf.length - stop <= 280 ? Buffer.from(buf.subarray(stop)) : undefined;
  }

  noteHeartbeatSent(count: number): void {
    Atomics.add(this.slots, HEARTBEATS_SENT_SLOT, BigInt(count));
  }

  private consider(frame: Buffer, sysid: number, compid: number): void {
    if (!frameCrcOk(frame, MSG_ID_HEARTBEAT)) return;
    const v2 = frame[0] === 0xfd;
    const payloadAt = v2 ? 10 : 6;
    const payloadLen = frame[1]!;
    // MAVLink 2 trims trailing zero bytes of a payload: a missing byte reads as 0.
    const byteAt = (off: number) => (off < payloadLen ? frame[payloadAt + off]! : 0);
    if (byteAt(HB_TYPE_OFFSET) === MAV_TYPE_GCS || byteAt(HB_AUTOPILOT_OFFSET) === MAV_AUTOPILOT_INVALID) return;
    const key = this.keys.get(sysid);
    if (key && this.verifier.verify(frame, sysid, compid, MSG_ID_HEARTBEAT, key) !== undefined) return;
    Atomics.store(this.slots, sysid, BigInt(Math.round(this.wallClockMs())));
  }
}
