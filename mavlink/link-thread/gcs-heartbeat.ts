import { MavLinkProtocolV2 } from 'node-mavlink';
import { gcsHeartbeatMessage } from '../gcs-heartbeat-message.ts';
import { FrameSigner, IFLAG_SIGNED } from '../signing.ts';
import type { GcsHeartbeatSpec } from './messages.ts';

/**
 * The GCS HEARTBEAT frames of one endpoint, serialised and signed where they are sent (the
 * link thread), so the heartbeat goes out on time whatever the main thread is doing:
 * ArduPilot's GCS failsafe (FS_GCS_ENABLE) watches it, and a `udpout://` vehicle first
 * hears us through it. One frame per key (a vehicle drops frames signed with another
 * vehicle's key), plus an unsigned one when some system has no key.
 *
 * Its sequence numbers are its own: they interleave with the main thread's on the same
 * (system, component), which a receiver counts as loss in its link statistics only.
 */
export class GcsHeartbeatFrames {
  private readonly plain: MavLinkProtocolV2;
  private readonly signed: MavLinkProtocolV2;
  private readonly signers: FrameSigner[];
  private readonly message = gcsHeartbeatMessage();
  private seq = 0;

  constructor(
    private readonly spec: GcsHeartbeatSpec,
    wallClockMs?: () => number,
  ) {
    this.plain = new MavLinkProtocolV2(spec.systemId, spec.componentId);
    this.signed = new MavLinkProtocolV2(spec.systemId, spec.componentId, IFLAG_SIGNED);
    const distinct = new Map<string, Buffer>();
    for (const k of spec.keys) distinct.set(Buffer.from(k).toString('hex'), Buffer.from(k));
    this.signers = [...distinct.values()].map((key) => new FrameSigner({ key, linkId: spec.signingLinkId, ...(wallClockMs ? { wallClockMs } : {}) }));
  }

  /** The frames for one beat, each to be written on its own (one datagram each on UDP). */
  next(): Buffer[] {
    const out: Buffer[] = [];
    for (const s of this.signers) out.push(s.sign(this.signed.serialize(this.message, this.nextSeq())));
    if (this.spec.unsigned || this.signers.length === 0) out.push(this.plain.serialize(this.message, this.nextSeq()));
    return out;
  }

  private nextSeq(): number {
    const s = this.seq;
    this.seq = (this.seq + 1) & 0xff;
    return s;
  }
}
