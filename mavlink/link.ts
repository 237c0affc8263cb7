import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { MavLinkPacketParser, MavLinkPacketSplitter, MavLinkProtocolV2, type MavLinkData, type MavLinkPacket } from 'node-mavlink';
import { MAVLINK_REGISTRY } from './registry.ts';
import { RejectLog } from './reject-log.ts';
import { IFLAG_SIGNED, MSG_ID_RADIO_STATUS, SignatureVerifier, type FrameSigner } from './signing.ts';

export interface MavlinkIdentity {
  /** Our MAVLink system id on this link (GCS convention: 255; a vehicle: its own id). */
  systemId: number;
  /** Our component id (MAV_COMP_ID_MISSIONPLANNER 190 for a GCS, 1 for an autopilot). */
  componentId: number;
}

/** A decoded inbound message with who sent it. */
export interface MavlinkMessage {
  sysid: number;
  compid: number;
  msgid: number;
  seq: number;
  data: MavLinkData;
}

/**
 * Why an inbound frame was refused: from an address other than the one the sender is
 * pinned to, from a system id this link does not serve, with a wrong signature, with a
 * replayed or stale signing timestamp, or unsigned from a sender that has a key.
 */
export type RejectReason = 'wrongPeer' | 'wrongSystem' | 'badSignature' | 'replay' | 'unsigned';
export type RejectCounts = Record<RejectReason, number>;
export const REJECT_REASONS: readonly RejectReason[] = ['wrongPeer', 'wrongSystem', 'badSignature', 'replay', 'unsigned'];
const zeroCounts = (): RejectCounts => ({ wrongPeer: 0, wrongSystem: 0, badSignature: 0, replay: 0, unsigned: 0 });

export interface LinkCounters {
  rxPackets: number;
  /** Frames with a bad CRC or header, counted by the splitter and skipped. */
  rxInvalid: number;
  /** Frames of message ids we have no class for (still forwarded as `unknown`). */
  rxUnknown: number;
  txPackets: number;
  /** Frames whose payload could not be decoded by the registry's class. */
  rxDecodeErrors: number;
  /** Refused frames by reason, all senders together. */
  rejected: RejectCounts;
  /** Refused frames by the system id they claimed (at most 256 entries: the id is one byte). */
  rejectedBySystem: Map<number, RejectCounts>;
}

/** Who may speak on a link, checked on every inbound frame before it is decoded. */
export interface LinkSecurity {
  /** System ids this link serves; frames from others are refused (`wrongSystem`). Undefined: any. */
  acceptSystems?: ReadonlySet<number>;
  /** The signing key of a sender; a sender with one must sign every frame with it (RADIO_STATUS excepted, as the spec allows). */
  keyOf?(sysid: number): Buffer | undefined;
  /** Wall clock for the signing replay window (default Date.now). */
  wallClockMs?: () => number;
}

export interface MavlinkLinkOptions {
  security?: LinkSecurity;
  /** Signs every frame we send unless `send` is given another signer. */
  signer?: FrameSigner;
  /** Where refusals are logged, rate-limited per source. Never given a key. */
  log?: (line: string) => void;
  /** Names the link in log lines. */
  name?: string;
}

interface LinkEvents {
  message: [MavlinkMessage];
  /** A refused frame, after it was counted: reason and the system id it claimed. */
  rejected: [RejectReason, number | undefined];
  close: [];
  error: [Error];
}

const REFUSAL_TEXT: Record<'unsigned' | 'badSignature' | 'replay', string> = {
  unsigned: 'unsigned, and this sender has a signing key',
  badSignature: 'signature does not match the key',
  replay: 'signing timestamp not newer than the last from this stream, or more than a minute off our clock',
};

/**
 * One MAVLink 2 endpoint over any Duplex (UDP, TCP, serial, an in-memory pair).
 * It owns its own sequence counter and identity: node-mavlink's top-level `send()`
 * shares one module-global counter across every link, which confuses loss statistics
 * on the far side as soon as two links exist in one process.
 */
export class MavlinkLink extends EventEmitter<LinkEvents> {
  readonly counters: LinkCounters = {
    rxPackets: 0,
    rxInvalid: 0,
    rxUnknown: 0,
    txPackets: 0,
    rxDecodeErrors: 0,
    rejected: zeroCounts(),
    rejectedBySystem: new Map(),
  };
  private seq = 0;
  private readonly protocol: MavLinkProtocolV2;
  /** Same identity with IFLAG_SIGNED in the header: the flag is under the CRC, so it is set before serialising. */
  private readonly signedProtocol: MavLinkProtocolV2;
  private readonly splitter = new MavLinkPacketSplitter();
  private readonly security: LinkSecurity | undefined;
  private readonly verifier: SignatureVerifier | undefined;
  private readonly rejectLog: RejectLog | undefined;
  private closed = false;

  constructor(
    private readonly stream: Duplex,
    readonly identity: MavlinkIdentity,
    private readonly opts: MavlinkLinkOptions = {},
  ) {
    super();
    this.protocol = new MavLinkProtocolV2(identity.systemId, identity.componentId);
    this.signedProtocol = new MavLinkProtocolV2(identity.systemId, identity.componentId, IFLAG_SIGNED);
    this.security = opts.security;
    this.verifier = opts.security?.keyOf ? new SignatureVerifier({ wallClockMs: opts.security.wallClockMs }) : undefined;
    this.rejectLog = opts.log ? new RejectLog(opts.log) : undefined;
    const parser = new MavLinkPacketParser();
    stream.pipe(this.splitter).pipe(parser);
    parser.on('data', (packet: MavLinkPacket) => this.onPacket(packet));
    // A transport error must never crash the process (an 'error' event with no listener
    // throws): report it to whoever listens, and let 'close' end the link.
    stream.on('error', (err) => {
      if (!this.closed && this.listenerCount('error') > 0) this.emit('error', err);
    });
    stream.on('close', () => this.close());
  }

  private onPacket(packet: MavLinkPacket): void {
    this.counters.rxPackets++;
    if (this.security && !this.admit(packet)) return;
    const clazz = MAVLINK_REGISTRY[packet.header.msgid];
    if (!clazz) {
      this.counters.rxUnknown++;
      return;
    }
    let data: MavLinkData;
    try {
      data = packet.protocol.data(packet.payload, clazz);
    } catch {
      this.counters.rxDecodeErrors++;
      return;
    }
    this.emit('message', {
      sysid: packet.header.sysid,
      compid: packet.header.compid,
      msgid: packet.header.msgid,
      seq: packet.header.seq,
      data,
    });
  }

  /** Checks who sent a frame before anything reads it; false means refused (counted and logged). */
  private admit(packet: MavLinkPacket): boolean {
    const { sysid, compid, msgid } = packet.header;
    const sec = this.security!;
    // RADIO_STATUS comes from the telemetry radio itself (SiK: system 51), not a vehicle.
    if (sec.acceptSystems && !sec.acceptSystems.has(sysid) && msgid !== MSG_ID_RADIO_STATUS) {
      this.reject('wrongSystem', sysid, `system ${sysid}`, `frame from system ${sysid}, which this link does not serve`);
      return false;
    }
    const key = sec.keyOf?.(sysid);
    if (key && this.verifier) {
      const refused = this.verifier.verify(packet.buffer, sysid, compid, msgid, key);
      if (refused) {
        this.reject(refused, sysid, `system ${sysid}`, `frame ${msgid} from system ${sysid}/${compid}: ${REFUSAL_TEXT[refused]}`);
        return false;
      }
    }
    return true;
  }

  /**
   * Counts and logs one refused frame. Public so that a transport's gate (the UDP peer
   * pinning) reports into the same counters; `source` keys the log's rate limit.
   */
  reject(reason: RejectReason, sysid: number | undefined, source: string, detail: string): void {
    this.counters.rejected[reason]++;
    if (sysid !== undefined) {
      let c = this.counters.rejectedBySystem.get(sysid);
      if (!c) this.counters.rejectedBySystem.set(sysid, (c = zeroCounts()));
      c[reason]++;
    }
    this.rejectLog?.note(source, `MAVLink ${this.opts.name ?? 'link'}: refused ${detail} [${reason}]`);
    this.emit('rejected', reason, sysid);
  }

  private serialize(msg: MavLinkData, signer: FrameSigner | undefined): Buffer {
    const seq = this.seq;
    this.seq = (this.seq + 1) & 0xff;
    this.counters.txPackets++;
    return signer ? signer.sign(this.signedProtocol.serialize(msg, seq)) : this.protocol.serialize(msg, seq);
  }

  /**
   * Serialises and writes one message, signed with `signer` (default: the link's own, if
   * any); returns false when the stream asks us to slow down.
   */
  send(msg: MavLinkData, signer: FrameSigner | undefined = this.opts.signer): boolean {
    if (this.closed) return false;
    return this.stream.write(this.serialize(msg, signer));
  }

  /**
   * Serialises several messages into as few writes as possible (one UDP datagram each,
   * under ~1,200 bytes), as ArduPilot's own UDP output packs frames: MAVLink parsers split
   * frames themselves, and one write per tick instead of one per message is what lets a
   * thousand simulated vehicles share one process.
   */
  sendMany(msgs: readonly MavLinkData[], signer: FrameSigner | undefined = this.opts.signer): boolean {
    if (this.closed || msgs.length === 0) return false;
    let ok = true;
    let batch: Buffer[] = [];
    let size = 0;
    for (const msg of msgs) {
      const buf = this.serialize(msg, signer);
      if (size + buf.length > 1200 && batch.length > 0) {
        ok = this.stream.write(batch.length === 1 ? batch[0]! : Buffer.concat(batch, size)) && ok;
        batch = [];
        size = 0;
      }
      batch.push(buf);
      size += buf.length;
    }
    if (batch.length > 0) ok = this.stream.write(batch.length === 1 ? batch[0]! : Buffer.concat(batch, size)) && ok;
    return ok;
  }

  get invalidFrames(): number {
    return this.splitter.invalidPackages;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.counters.rxInvalid = this.splitter.invalidPackages;
    this.stream.destroy();
    this.emit('close');
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
