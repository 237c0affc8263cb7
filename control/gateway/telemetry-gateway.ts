import { randomUUID } from 'node:crypto';
import { deviceTopic, type DroneEvent, type StatusPayload } from '../../protocol/index.ts';
import type { Clock } from '../timeouts.ts';
import type { Bus } from '../mqtt/bus.ts';
import type { Vehicle } from '../vehicle/vehicle.ts';
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
  eventsPublished: number;
  statusPublished: number;
}

/**
 * Speaks for MAVLink drones on the broker: normalised `telemetry` (QoS 0, at a fixed rate),
 * retained `status` (online/offline, `via: control`) and `event`s (STATUSTEXT, link
 * lost/regained, mission item reached). The broker lets only the control identity do so.
 */
export class TelemetryGateway {
  readonly counters: GatewayCounters = { telemetryPublished: 0, telemetryIncomplete: 0, eventsPublished: 0, statusPublished: 0 };
  private readonly vehicles: Vehicle[] = [];
  private readonly timer: NodeJS.Timeout;

  /** Each period is cut in slices of ~50 ms; a tick publishes one slice of the fleet. */
  private readonly slices: number;
  private slice = 0;

  constructor(private readonly o: GatewayOptions) {
    const periodMs = Math.max(10, Math.round(1000 / o.telemetryRateHz));
    // 1,000 drones published in one burst every 500 ms stall the event loop (and queue
    // behind a full socket); spreading them over the period keeps latency flat.
    this.slices = Math.max(1, Math.floor(periodMs / 50));
    this.timer = setInterval(() => this.tick(), periodMs / this.slices);
    this.timer.unref();
  }

  /** Starts speaking for a vehicle: an offline status now, then its live state. */
  add(v: Vehicle): void {
    this.vehicles.push(v);
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
    const k = this.slice;
    this.slice = (this.slice + 1) % this.slices;
    for (let i = k; i < this.vehicles.length; i += this.slices) {
      const v = this.vehicles[i]!;
      if (!v.online) continue;
      const posMs = v.telemetryState.lastPositionMs;
      if (posMs === undefined || now - posMs > staleMs) continue;
      const t = v.telemetry(now);
      if (!t) {
        this.counters.telemetryIncomplete++;
        continue;
      }
      this.o.bus.publish(deviceTopic('drone', v.droneId, 'telemetry'), JSON.stringify(t), { qos: 0 });
      this.counters.telemetryPublished++;
    }
  }

  private status(v: Vehicle, state: StatusPayload['state'], reason?: string): void {
    const p: StatusPayload = { tsMs: this.o.clock.nowMs(), state, via: 'control' };
    if (reason) p.reason = reason;
    this.o.bus.publish(deviceTopic('drone', v.droneId, 'status'), JSON.stringify(p), { qos: 1, retain: true });
    this.counters.statusPublished++;
  }

  private event(v: Vehicle, e: Omit<DroneEvent, 'id' | 'tsMs'>): void {
    this.publishEvent(v, { id: randomUUID(), tsMs: this.o.clock.nowMs(), ...e });
  }

  private publishEvent(v: Vehicle, e: DroneEvent): void {
    this.o.bus.publish(deviceTopic('drone', v.droneId, 'event'), JSON.stringify(e), { qos: 1 });
    this.counters.eventsPublished++;
  }

  /** Marks every drone offline (retained) so the map does not show ghosts after we stop. */
  close(reason = 'control service stopped'): void {
    clearInterval(this.timer);
    for (const v of this.vehicles) this.status(v, 'offline', reason);
  }
}
