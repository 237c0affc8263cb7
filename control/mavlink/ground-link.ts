import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { gcsHeartbeatMessage } from '../../mavlink/gcs-heartbeat-message.ts';
import { FrameSigner, MavlinkLink, PeerPinning, UdpDuplex, type MavlinkMessage } from '../../mavlink/index.ts';
import type { ThreadEndpointSpec } from '../../mavlink/link-thread/messages.ts';
import { ThreadStream } from '../../mavlink/link-thread/thread-stream.ts';
import type { Clock, ControlTimeouts } from '../timeouts.ts';
import { Vehicle } from '../vehicle/vehicle.ts';
import type { Autopilot } from '../vehicle/modes.ts';
import type { StreamRates } from '../vehicle/streams.ts';
import { linkVerdictDue } from './link-verdict.ts';
import { routeMessage, type RouterCounters } from './router.ts';

/** GCS identity on every link (MAVLink convention: system 255, MAV_COMP_ID_MISSIONPLANNER). */
export const GCS_IDENTITY = { systemId: 255, componentId: 190 } as const;

/**
 * The vehicle component whose messages drive a Vehicle: MAV_COMP_ID_AUTOPILOT1. ArduPilot
 * always speaks as component 1, PX4 as MAV_COMP_ID (default 1); the cameras (100-105),
 * gimbals (154), companion computers (191-194) and OSDs on the same system id are real but
 * do not report the flight state nor answer our commands, which we address to component 1.
 * Their frames are admitted (signed with the system's key like the rest) and counted, not routed.
 */
export const AUTOPILOT_COMPONENT_ID = 1;

/** The signing link id we put on every frame the main thread sends (one ground link per endpoint). */
export const GCS_SIGNING_LINK_ID = 0;

/**
 * The signing link id of the GCS heartbeats the link thread sends. A receiver keeps the
 * last timestamp per (system, component, link id) and drops a frame not newer than it
 * (MAVLink message signing; ArduPilot and PX4 use the C library's signing streams): two
 * senders signing on one link id, each with its own clock and queue, would get each
 * other's frames dropped as replays. Each sender its own link id keeps both streams monotonic.
 */
export const GCS_HEARTBEAT_SIGNING_LINK_ID = 1;

export interface GroundLinkVehicle {
  droneId: string;
  systemId: number;
  autopilot?: Autopilot;
  /** The drone's 32-byte MAVLink 2 signing key: with one, everything we send it is signed and everything it sends must be. */
  signingKey?: Buffer;
}

export interface GroundLinkOptions {
  /** Names the link in logs, counters and the (endpoint, system id) → drone map. */
  endpointUrl: string;
  vehicles: GroundLinkVehicle[];
  timeouts: ControlTimeouts;
  clock: Clock;
  streamRates?: StreamRates;
  /** Refused frames are logged here, rate-limited per source (default: stderr). */
  log?: (line: string) => void;
  /** Wall clock for signing timestamps and the replay window (default Date.now). */
  wallClockMs?: () => number;
  /** Signed `udp://` systems may move to a new address after this much silence from the pinned one (default 10 s). */
  repinAfterSilenceMs?: number;
}

export interface GroundLinkCounters extends RouterCounters {
  /** Messages from system ids not on the site for this endpoint: counted and ignored. */
  unknownSystem: number;
  unknownSystemIds: Set<number>;
  /** Messages addressed (target_system/target_component) to someone other than us, e.g. another GCS's acks. */
  notForUs: number;
  /** Messages from components of a vehicle's system other than its autopilot (camera, gimbal, companion). */
  otherComponent: number;
}

/**
 * The ground side of one MAVLink link over any Duplex: one sender (MavlinkLink owns seq
 * and our ids), a 1 Hz GCS heartbeat (which is also how a `udpout://` vehicle first hears
 * us), the site's vehicles by system id, and the link-lost sweep. Over a ThreadStream (the
 * link thread, control/service.ts's default) the thread pins peers and sends the heartbeat,
 * and the sweep takes the thread's word for when each vehicle was last heard.
 */
export class GroundLink extends EventEmitter<{ vehicle: [Vehicle]; close: [] }> {
  readonly link: MavlinkLink;
  readonly vehicles = new Map<number, Vehicle>();
  readonly counters: GroundLinkCounters = { unhandled: 0, handlerErrors: 0, unknownSystem: 0, unknownSystemIds: new Set(), notForUs: 0, otherComponent: 0 };
  /** Set on `udp://` and `udpout://` links opened in this thread: which address each system is pinned to (in the link thread, the thread pins). */
  readonly pinning: PeerPinning | undefined;
  /** Set when the transport runs in the link thread: it sends the heartbeats and stamps what it hears. */
  private readonly threaded: ThreadStream | undefined;
  /** One signer per distinct key, so a key's timestamps stay monotonic whatever sends with it; `undefined` stands for unsigned. */
  private readonly heartbeatSigners: (FrameSigner | undefined)[] = [];
  private readonly heartbeatTimer: NodeJS.Timeout | undefined;
  private readonly sweepTimer: NodeJS.Timeout;
  private closed = false;

  constructor(
    stream: Duplex,
    readonly opts: GroundLinkOptions,
  ) {
    super();
    const log = opts.log ?? ((line: string) => console.warn(line));
    const keys = new Map<number, Buffer>();
    for (const v of opts.vehicles) if (v.signingKey) keys.set(v.systemId, v.signingKey);
    this.link = new MavlinkLink(stream, GCS_IDENTITY, {
      security: {
        acceptSystems: new Set(opts.vehicles.map((v) => v.systemId)),
        ...(keys.size > 0 ? { keyOf: (sysid: number) => keys.get(sysid) } : {}),
        ...(opts.wallClockMs ? { wallClockMs: opts.wallClockMs } : {}),
      },
      log,
      name: opts.endpointUrl,
    });
    this.link.on('rejected', (reason, sysid) => {
      if (reason !== 'wrongSystem' || sysid === undefined || sysid === GCS_IDENTITY.systemId) return;
      this.counters.unknownSystem++;
      if (this.counters.unknownSystemIds.size < 256) this.counters.unknownSystemIds.add(sysid);
    });
    if (stream instanceof UdpDuplex) {
      this.pinning = new PeerPinning({
        systems: new Map(opts.vehicles.map((v) => [v.systemId, v.signingKey ? { key: v.signingKey } : {}])),
        ...(stream.remote ? { fixedPeer: stream.remote } : {}),
        ...(opts.repinAfterSilenceMs !== undefined ? { repinAfterSilenceMs: opts.repinAfterSilenceMs } : {}),
        ...(opts.wallClockMs ? { wallClockMs: opts.wallClockMs } : {}),
        onReject: (reason, sysid, source, detail) => this.link.reject(reason, sysid, source, detail),
        onPin: (sysid, peer, previous) => log(`MAVLink ${opts.endpointUrl}: system ${sysid} ${previous ? `moved from ${previous} to` : 'pinned to'} ${peer}`),
      });
      stream.setGate(this.pinning);
    }
    if (stream instanceof ThreadStream) {
      this.threaded = stream;
      // The thread's gate refused these; they count and log here like the link's own refusals.
      stream.onRefused((reason, sysid, source, detail) => this.link.reject(reason, sysid, source, detail));
      stream.onLog(log);
    }
    const signers = new Map<string, FrameSigner>();
    const signerFor = (key: Buffer | undefined) => {
      if (!key) return undefined;
      const id = key.toString('hex');
      let s = signers.get(id);
      if (!s) signers.set(id, (s = new FrameSigner({ key, linkId: GCS_SIGNING_LINK_ID, ...(opts.wallClockMs ? { wallClockMs: opts.wallClockMs } : {}) })));
      return s;
    };
    this.link.on('error', () => {
      // Transport errors end in 'close'; the reconnecting TCP transport never surfaces them.
    });
    this.link.on('close', () => this.close());
    for (const v of opts.vehicles) {
      const signer = signerFor(v.signingKey);
      if (!this.heartbeatSigners.includes(signer)) this.heartbeatSigners.push(signer);
      const vehicle = new Vehicle({
        droneId: v.droneId,
        systemId: v.systemId,
        autopilot: v.autopilot,
        endpointUrl: opts.endpointUrl,
        timeouts: opts.timeouts,
        clock: opts.clock,
        streamRates: opts.streamRates,
        send: (msg) => this.link.send(msg, signer),
      });
      this.vehicles.set(v.systemId, vehicle);
    }
    if (this.heartbeatSigners.length === 0) this.heartbeatSigners.push(undefined);
    this.link.on('message', (m) => this.onMessage(m));
    if (!this.threaded?.sendsHeartbeats) {
      this.sendHeartbeat();
      this.heartbeatTimer = setInterval(() => this.sendHeartbeat(), opts.timeouts.gcsHeartbeatMs);
      this.heartbeatTimer.unref();
    }
    this.sweepTimer = setInterval(() => this.sweep(), Math.max(20, Math.floor(opts.timeouts.linkLostMs / 6)));
    this.sweepTimer.unref();
  }

  private onMessage(m: MavlinkMessage): void {
    const v = this.vehicles.get(m.sysid);
    if (!v) {
      // Only RADIO_STATUS gets here from a system id we do not serve (the link refuses the rest).
      if (m.sysid !== GCS_IDENTITY.systemId) {
        this.counters.unknownSystem++;
        if (this.counters.unknownSystemIds.size < 256) this.counters.unknownSystemIds.add(m.sysid);
      }
      return;
    }
    if (m.compid !== AUTOPILOT_COMPONENT_ID) {
      this.counters.otherComponent++;
      return;
    }
    if (!addressedToUs(m)) {
      this.counters.notForUs++;
      return;
    }
    v.linkMeter.packet(m.seq);
    routeMessage(v, m, this.opts.clock.nowMs(), this.counters);
  }

  private sendHeartbeat(): void {
    const hb = gcsHeartbeatMessage();
    // Once per key: a vehicle drops frames signed with another vehicle's key (or unsigned).
    for (const signer of this.heartbeatSigners) this.link.send(hb, signer);
  }

  private sweep(): void {
    const now = this.opts.clock.nowMs();
    const wallNow = this.threaded ? (this.opts.wallClockMs ?? Date.now)() : 0;
    const linkLostMs = this.opts.timeouts.linkLostMs;
    for (const v of this.vehicles.values()) {
      const heardAtMs = this.threaded?.heardAtMs(v.systemId);
      const heardAgoMs = heardAtMs === undefined ? undefined : wallNow - heardAtMs;
      if (linkVerdictDue({ nowMs: now, lastHeartbeatMs: v.lastHeartbeatMs, linkLostMs, heardAgoMs })) v.checkLink(now);
    }
  }

  /** GCS heartbeat frames sent on this endpoint by the link thread (0 when this link sends its own: they count in txPackets). */
  get threadHeartbeatsSent(): number {
    return this.threaded?.heartbeatsSent ?? 0;
  }

  /** Frames with bad CRC or header, counted by node-mavlink's splitter and skipped. */
  get badFrames(): number {
    return this.link.invalidFrames + this.link.counters.rxDecodeErrors;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeatTimer);
    clearInterval(this.sweepTimer);
    for (const v of this.vehicles.values()) v.close();
    this.link.close();
    this.emit('close');
  }
}

/**
 * Whether a message that names a target (COMMAND_ACK, MISSION_ACK, MISSION_REQUEST(_INT),
 * MISSION_COUNT, MISSION_ITEM(_INT)...) is meant for us. ArduPilot (GCS_Common.cpp,
 * MissionItemProtocol.cpp) and PX4 (mavlink_receiver.cpp, mavlink_mission.cpp) both fill
 * target_system/target_component with the sender of the command or transfer, so another
 * GCS's acks name that GCS and must not settle our ledger. 0 is accepted for either field:
 * it is MAVLink's broadcast id, and what a MAVLink 1 COMMAND_ACK (whose target fields are
 * MAVLink 2 extensions) or older firmware decodes to. A forged broadcast-addressed ack
 * still has to come from the pinned address, and be signed when the drone has a key.
 */
export function addressedToUs(m: MavlinkMessage): boolean {
  const d = m.data as { targetSystem?: unknown; targetComponent?: unknown };
  if (typeof d.targetSystem !== 'number') return true;
  const ts = d.targetSystem;
  const tc = typeof d.targetComponent === 'number' ? d.targetComponent : 0;
  return (ts === 0 || ts === GCS_IDENTITY.systemId) && (tc === 0 || tc === GCS_IDENTITY.componentId);
}

/**
 * What the link thread needs to carry an endpoint for a GroundLink: the systems and their
 * keys (its peer-pinning gate, its heartbeat stamps) and the GCS heartbeat it sends in our
 * name, one per key, on its own signing link id.
 */
export function linkThreadEndpoint(o: Pick<GroundLinkOptions, 'endpointUrl' | 'vehicles' | 'timeouts' | 'repinAfterSilenceMs'>): Omit<ThreadEndpointSpec, 'stamps'> {
  const keys = o.vehicles.flatMap((v) => (v.signingKey ? [new Uint8Array(v.signingKey)] : []));
  return {
    url: o.endpointUrl,
    systems: o.vehicles.map((v) => ({ systemId: v.systemId, ...(v.signingKey ? { key: new Uint8Array(v.signingKey) } : {}) })),
    autopilotComponentId: AUTOPILOT_COMPONENT_ID,
    ...(o.repinAfterSilenceMs !== undefined ? { repinAfterSilenceMs: o.repinAfterSilenceMs } : {}),
    heartbeat: {
      ...GCS_IDENTITY,
      intervalMs: o.timeouts.gcsHeartbeatMs,
      signingLinkId: GCS_HEARTBEAT_SIGNING_LINK_ID,
      keys,
      unsigned: o.vehicles.some((v) => !v.signingKey),
    },
  };
}
