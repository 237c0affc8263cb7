import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { MavLinkPacketParser, MavLinkPacketSplitter, MavLinkProtocolV2, type MavLinkData, type MavLinkPacket } from 'node-mavlink';
import { MAVLINK_REGISTRY } from './registry.ts';

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

export interface LinkCounters {
  rxPackets: number;
  /** Frames with a bad CRC or header, counted by the splitter and skipped. */
  rxInvalid: number;
  /** Frames of message ids we have no class for (still forwarded as `unknown`). */
  rxUnknown: number;
  txPackets: number;
  /** Frames whose payload could not be decoded by the registry's class. */
  rxDecodeErrors: number;
}

interface LinkEvents {
  message: [MavlinkMessage];
  close: [];
  error: [Error];
}

/**
 * One MAVLink 2 endpoint over any Duplex (UDP, TCP, serial, an in-memory pair).
 * It owns its own sequence counter and identity: node-mavlink's top-level `send()`
 * shares one module-global counter across every link, which confuses loss statistics
 * on the far side as soon as two links exist in one process.
 */
export class MavlinkLink extends EventEmitter<LinkEvents> {
  readonly counters: LinkCounters = { rxPackets: 0, rxInvalid: 0, rxUnknown: 0, txPackets: 0, rxDecodeErrors: 0 };
  private seq = 0;
  private readonly protocol: MavLinkProtocolV2;
  private readonly splitter = new MavLinkPacketSplitter();
  private closed = false;

  constructor(
    private readonly stream: Duplex,
    readonly identity: MavlinkIdentity,
  ) {
    super();
    this.protocol = new MavLinkProtocolV2(identity.systemId, identity.componentId);
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

  /** Serialises and writes one message; returns false when the stream asks us to slow down. */
  send(msg: MavLinkData): boolean {
    if (this.closed) return false;
    const buf = this.protocol.serialize(msg, this.seq);
    this.seq = (this.seq + 1) & 0xff;
    this.counters.txPackets++;
    return this.stream.write(buf);
  }

  /**
   * Serialises several messages into as few writes as possible (one UDP datagram each,
   * under ~1,200 bytes), as ArduPilot's own UDP output packs frames: MAVLink parsers split
   * frames themselves, and one write per tick instead of one per message is what lets a
   * thousand simulated vehicles share one process.
   */
  sendMany(msgs: readonly MavLinkData[]): boolean {
    if (this.closed || msgs.length === 0) return false;
    let ok = true;
    let batch: Buffer[] = [];
    let size = 0;
    for (const msg of msgs) {
      const buf = this.protocol.serialize(msg, this.seq);
      this.seq = (this.seq + 1) & 0xff;
      this.counters.txPackets++;
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
