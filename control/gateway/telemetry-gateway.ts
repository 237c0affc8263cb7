import { randomUUID } from 'node:crypto';
import { deviceTopic, type Channel, type DroneEvent, type DroneTelemetry, type StatusPayload } from '../../protocol/index.ts';
import type { Clock } from '../timeouts.ts';
import type { Bus } from '../mqtt/bus.ts';
import type { Vehicle } from '../vehicle/vehicle.ts';
import type { VehicleListen } from '../vehicle/vehicle-context.ts';
import { positionValid } from '../vehicle/telemetry-state.ts';
import { statusTextEvent } from './events.ts';

export interface GatewayOptions {
  bus: Bus;
  clock: Clock;
  /** Telemetry publish rate per drone (Hz); MAVLink arrives faster, MQTT gets this. */
  telemetryRateHz: number;
  /** A position older than this is not republished (the vehicle stopped streaming). */
  staleAfterMs?: number;
}

export interface GatewayCounters {
  telemetryPublished: number;
  /** Ticks where a drone was online but its telemetry was not complete yet. */
  telemetryIncomplete: number;
  /**
   * Ticks held back because the position was not valid: no 2D/3D fix, or 0,0 (ArduCopter
   * streams 0,0 with fix 0 for seconds after boot; a map must never show a drone there).
   */
  telemetryNoFix: number;
  eventsPublished: number;
  statusPublished: number;
}

/** What the gateway reads of a vehicle: who it is, its link, its state and its events. */
export type GatewayVehicle = Pick<Vehicle, 'droneId' | 'endpointUrl' | 'online' | 'telemetry' | 'telemetryState' | 'timeouts'> & VehicleListen;

/**
 * What the gateway hands to control's own consumers in-process as well as publishing it:
 * the broker's copy of these, for a drone the gateway speaks for, is control's own and is
 * skipped unparsed by the inbound router (control/service.ts's `inProcess`).
 */
const HANDED_OVER: ReadonlySet<Channel> = new Set<Channel>(['telemetry', 'status']);

/**
 * Speaks for MAVLink drones on the broker: normalised `telemetry` (QoS 0, at a fixed rate),
 * retained `status` (online/offline, `via: control`) and `event`s (STATUSTEXT, link
 * lost/regained, mission item reached). The broker lets only the control identity do so.
 */
export class TelemetryGateway {
  readonly counters: GatewayCounters = { telemetryPublished: 0, telemetryIncomplete: 0, telemetryNoFix: 0, eventsPublished: 0, statusPublished: 0 };
  private readonly vehicles: GatewayVehicle[] = [];
  private readonly timer: NodeJS.Timeout;

  private readonly periodMs: number;
  /** When each vehicle's next sample is due (index-aligned with `vehicles`). */
  private readonly dueMs: number[] = [];
  private readonly telemetryListeners = new Set<(droneId: string, t: DroneTelemetry) => void>();
  private readonly statusListeners = new Set<(droneId: string, s: StatusPayload) => void>();
  /** Each drone's last status, as retained at the broker: replayed to a new status listener. */
  private readonly lastStatus = new Map<string, StatusPayload>();
  private readonly spokenFor = new Set<string>();

  constructor(private readonly o: GatewayOptions) {
    this.periodMs = Math.max(10, 1000 / o.telemetryRateHz);
    // Publishing 1,000 drones in one burst per period stalls the event loop and queues
    // behind a full socket, so each drone has its own due time, staggered across the
    // period, checked every ~50 ms. Due times advance by the period, so a late timer
    // (a loaded machine) does not lower the rate.
    const tickMs = Math.min(50, this.periodMs);
    this.timer = setInterval(() => this.tick(), tickMs);
    this.timer.unref();
  }

  /**
   * Hands each sample published for the broker to `fn` in-process as well: operations and
   * the live hub take our own drones' telemetry here, not back from the broker.
   */
  onTelemetry(fn: (droneId: string, t: DroneTelemetry) => void): () => void {
    this.telemetryListeners.add(fn);
    return () => this.telemetryListeners.delete(fn);
  }

  /**
   * Hands each status published for the broker to `fn` in-process as well, starting with
   * every drone's current one (what a subscriber would get retained): presence and the
   * live hub see a link change without a round trip through the broker.
   */
  onStatus(fn: (droneId: string, s: StatusPayload) => void): () => void {
    this.statusListeners.add(fn);
    for (const [droneId, s] of this.lastStatus) fn(droneId, s);
    return () => this.statusListeners.delete(fn);
  }

  /** Whether the broker's copy of a message on this drone's `channel` is one the gateway handed over in-process already. */
  handsOver(droneId: string, channel: Channel): boolean {
    return HANDED_OVER.has(channel) && this.spokenFor.has(droneId);
  }

  /** Starts speaking for a vehicle: an offline status now, then its live state. */
  add(v: GatewayVehicle): void {
    // Golden-ratio stagger: any number of drones spread evenly over the period.
    const phase = ((this.vehicles.length * 0.618_033_988_75) % 1) * this.periodMs;
    this.vehicles.push(v);
    this.spokenFor.add(v.droneId);
    this.dueMs.push(this.o.clock.nowMs() + phase);
    this.status(v, v.online ? 'online' : 'offline', v.online ? undefined : 'no heartbeat yet');
    v.on('online', () => this.status(v, 'online'));
    v.on('link_regained', () => {
      this.status(v, 'online');
      this.event(v, { type: 'link_regained', severity: 'medium', text: `MAVLink heartbeat back on ${v.endpointUrl}` });
    });
    v.on('link_lost', () => {
      this.status(v, 'offline', 'mavlink_link_lost');
      this.event(v, { type: 'link_lost', severity: 'high', text: `no MAVLink heartbeat for ${v.timeouts.linkLostMs} ms` });
    });
    v.on('statustext', (st) => this.publishEvent(v, statusTextEvent(randomUUID(), st.tsMs, st.severity, st.text)));
    v.on('mission_item_reached', (seq) => this.event(v, { type: 'mission_item_reached', severity: 'info', missionSeq: seq }));
  }

  private tick(): void {
    const now = this.o.clock.nowMs();
    const staleMs = this.o.staleAfterMs ?? 3000;
    for (let i = 0; i < this.vehicles.length; i++) {
      const due = this.dueMs[i]!;
      if (due > now) continue;
      // Behind by more than a period (a stalled loop): skip the backlog, keep the phase.
      this.dueMs[i] = now - due > this.periodMs ? now + this.periodMs : due + this.periodMs;
      const v = this.vehicles[i]!;
      if (!v.online) continue;
      const posMs = v.telemetryState.lastPositionMs;
      if (posMs === undefined || now - posMs > staleMs) continue;
      if (!positionValid(v.telemetryState)) {
        this.counters.telemetryNoFix++;
        continue;
      }
      const t = v.telemetry(now);
      if (!t) {
        this.counters.telemetryIncomplete++;
        continue;
      }
      this.o.bus.publish(deviceTopic('drone', v.droneId, 'telemetry'), JSON.stringify(t), { qos: 0 });
      this.counters.telemetryPublished++;
      for (const fn of this.telemetryListeners) fn(v.droneId, t);
    }
  }

  private status(v: GatewayVehicle, state: StatusPayload['state'], reason?: string): void {
    const p: StatusPayload = { tsMs: this.o.clock.nowMs(), state, via: 'control' };
    if (reason) p.reason = reason;
    this.o.bus.publish(deviceTopic('drone', v.droneId, 'status'), JSON.stringify(p), { qos: 1, retain: true });
    this.counters.statusPublished++;
    this.lastStatus.set(v.droneId, p);
    for (const fn of this.statusListeners) fn(v.droneId, p);
  }

  private event(v: GatewayVehicle, e: Omit<DroneEvent, 'id' | 'tsMs'>): void {
    this.publishEvent(v, { id: randomUUID(), tsMs: this.o.clock.nowMs(), ...e });
  }

  private publishEvent(v: GatewayVehicle, e: DroneEvent): void {
    this.o.bus.publish(deviceTopic('drone', v.droneId, 'event'), JSON.stringify(e), { qos: 1 });
    this.counters.eventsPublished++;
  }

  /** Marks every drone offline (retained) so the map does not show ghosts after we stop. */
  close(reason = 'control service stopped'): void {
    clearInterval(this.timer);
    for (const v of this.vehicles) this.status(v, 'offline', reason);
  }
}
