import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { minimal } from 'node-mavlink';
import { MavlinkLink, type MavlinkMessage } from '../../mavlink/index.ts';
import type { Clock, ControlTimeouts } from '../timeouts.ts';
import { Vehicle } from '../vehicle/vehicle.ts';
import type { Autopilot } from '../vehicle/modes.ts';
import type { StreamRates } from '../vehicle/streams.ts';
import { routeMessage, type RouterCounters } from './router.ts';

/** GCS identity on every link (MAVLink convention: system 255, MAV_COMP_ID_MISSIONPLANNER). */
export const GCS_IDENTITY = { systemId: 255, componentId: 190 } as const;

export interface GroundLinkVehicle {
  droneId: string;
  systemId: number;
  autopilot?: Autopilot;
}

export interface GroundLinkOptions {
  /** Names the link in logs, counters and the (endpoint, system id) → drone map. */
  endpointUrl: string;
  vehicles: GroundLinkVehicle[];
  timeouts: ControlTimeouts;
  clock: Clock;
  streamRates?: StreamRates;
}

export interface GroundLinkCounters extends RouterCounters {
  /** Messages from system ids not on the site for this endpoint: counted and ignored. */
  unknownSystem: number;
  unknownSystemIds: Set<number>;
}

/**
 * The ground side of one MAVLink link over any Duplex: one sender (MavlinkLink owns seq
 * and our ids), a 1 Hz GCS heartbeat (which is also how a `udpout://` vehicle first hears
 * us), the site's vehicles by system id, and the link-lost sweep.
 */
export class GroundLink extends EventEmitter<{ vehicle: [Vehicle]; close: [] }> {
  readonly link: MavlinkLink;
  readonly vehicles = new Map<number, Vehicle>();
  readonly counters: GroundLinkCounters = { unhandled: 0, handlerErrors: 0, unknownSystem: 0, unknownSystemIds: new Set() };
  private readonly heartbeatTimer: NodeJS.Timeout;
  private readonly sweepTimer: NodeJS.Timeout;
  private closed = false;

  constructor(
    stream: Duplex,
    readonly opts: GroundLinkOptions,
  ) {
    super();
    this.link = new MavlinkLink(stream, GCS_IDENTITY);
    this.link.on('error', () => {
      // Transport errors end in 'close'; the reconnecting TCP transport never surfaces them.
    });
    this.link.on('close', () => this.close());
    for (const v of opts.vehicles) {
      const vehicle = new Vehicle({
        droneId: v.droneId,
        systemId: v.systemId,
        autopilot: v.autopilot,
        endpointUrl: opts.endpointUrl,
        timeouts: opts.timeouts,
        clock: opts.clock,
        streamRates: opts.streamRates,
        send: (msg) => this.link.send(msg),
      });
      this.vehicles.set(v.systemId, vehicle);
    }
    this.link.on('message', (m) => this.onMessage(m));
    this.sendHeartbeat();
    this.heartbeatTimer = setInterval(() => this.sendHeartbeat(), opts.timeouts.gcsHeartbeatMs);
    this.sweepTimer = setInterval(() => this.sweep(), Math.max(20, Math.floor(opts.timeouts.linkLostMs / 6)));
    this.heartbeatTimer.unref();
    this.sweepTimer.unref();
  }

  private onMessage(m: MavlinkMessage): void {
    const v = this.vehicles.get(m.sysid);
    if (!v) {
      if (m.sysid !== GCS_IDENTITY.systemId) {
        this.counters.unknownSystem++;
        if (this.counters.unknownSystemIds.size < 256) this.counters.unknownSystemIds.add(m.sysid);
      }
      return;
    }
    if (m.compid === v.componentId) v.linkMeter.packet(m.seq);
    routeMessage(v, m, this.opts.clock.nowMs(), this.counters);
  }

  private sendHeartbeat(): void {
    const hb = new minimal.Heartbeat();
    hb.type = minimal.MavType.GCS;
    hb.autopilot = minimal.MavAutopilot.INVALID;
    hb.baseMode = 0 as minimal.MavModeFlag;
    hb.customMode = 0;
    hb.systemStatus = minimal.MavState.ACTIVE;
    hb.mavlinkVersion = 3;
    this.link.send(hb);
  }

  private sweep(): void {
    const now = this.opts.clock.nowMs();
    for (const v of this.vehicles.values()) v.checkLink(now);
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
