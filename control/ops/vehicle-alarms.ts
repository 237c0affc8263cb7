import type { Site } from '../../site/load.ts';
import type { Severity } from '../../protocol/index.ts';
import { distanceM } from '../../site/geometry.ts';
import type { Alarm, VehicleAlarmType } from '../alarms/alarm.ts';
import type { AlarmBook } from '../alarms/alarm-book.ts';
import { statusTextEvent } from '../gateway/events.ts';
import type { Vehicle } from '../vehicle/vehicle.ts';
import type { VehicleListen } from '../vehicle/vehicle-context.ts';
import type { FleetView } from './fleet-view.ts';
import { isAirborne, isLanded } from './vehicle-state.ts';

/** A drone that comes down and disarms farther than this from its dock landed where nobody planned. */
export const UNPLANNED_LANDING_M = 50;
/** A low-battery alarm re-arms only once the battery reads this much above the reserve again (a swap). */
const BATTERY_HYSTERESIS_PCT = 5;

export interface VehicleAlarmsOptions {
  site: Site;
  fleet: FleetView;
  vehicles: ReadonlyMap<string, Pick<Vehicle, 'droneId'> & VehicleListen>;
  alarms: AlarmBook;
  /** Every alarm raised or merged: to clients, the store and the alarm file. */
  onAlarm: (a: Alarm) => void;
  /** A new vehicle alarm: the patrol updates at once (PatrolService.vehicleAlarm). */
  onRaised?: (droneId: string, type: VehicleAlarmType, text: string) => void;
}

/**
 * Turns what a drone reports about itself into alarms with the drone as the source
 * (issue 14 item 5: "battery sagged to 8 % and it landed in a field: no alarm"): link
 * lost, the autopilot's failsafe, fence-breach and low-battery texts, a battery at its
 * reserve in the air, and a landing away from the dock. A mission aborted is reported by
 * the patrol (`raise`). Repeats join the drone's open alarm of the same type.
 */
export class VehicleAlarms {
  private readonly offs: (() => void)[] = [];
  private readonly batteryLatched = new Set<string>();
  private readonly wasAirborne = new Set<string>();

  constructor(private readonly o: VehicleAlarmsOptions) {}

  start(): void {
    for (const v of this.o.vehicles.values()) {
      const lost = () => this.raise(v.droneId, 'link_lost', 'high', `no MAVLink heartbeat from ${v.droneId}`);
      const text = (st: { tsMs: number; severity: number; text: string }) => {
        const ev = statusTextEvent('-', st.tsMs, st.severity, st.text);
        if (ev.type === 'fence_breach') this.raise(v.droneId, 'fence_breach', 'critical', st.text);
        else if (ev.type === 'failsafe') this.raise(v.droneId, 'failsafe', 'high', st.text);
        else if (ev.type === 'low_battery') this.raise(v.droneId, 'low_battery', 'high', st.text);
      };
      v.on('link_lost', lost);
      v.on('statustext', text);
      this.offs.push(() => {
        v.off('link_lost', lost);
        v.off('statustext', text);
      });
    }
  }

  /** Checks every drone's latest fresh report (called on each operations tick). */
  observe(): void {
    for (const d of this.o.site.drones) {
      const t = this.o.fleet.telemetry(d.id);
      if (!t || this.o.fleet.freshness(d.id)?.stale) continue;
      const reservePct = d.reservePct ?? 25;
      if (isAirborne(t)) {
        this.wasAirborne.add(d.id);
        if (t.batteryPct <= reservePct && !this.batteryLatched.has(d.id)) {
          this.batteryLatched.add(d.id);
          this.raise(d.id, 'low_battery', t.batteryPct <= reservePct / 2 ? 'critical' : 'high', `battery ${t.batteryPct}% in the air (reserve ${reservePct}%)`);
        }
      } else if (t.batteryPct > reservePct + BATTERY_HYSTERESIS_PCT) this.batteryLatched.delete(d.id);
      if (isLanded(t) && this.wasAirborne.has(d.id)) {
        this.wasAirborne.delete(d.id);
        const awayM = distanceM(t, d.dock);
        if (awayM > UNPLANNED_LANDING_M) this.raise(d.id, 'unplanned_landing', 'critical', `landed and disarmed ${Math.round(awayM)} m from its dock (${t.mode}, battery ${t.batteryPct}%)`);
      }
    }
  }

  /** Raises (or joins) the drone's alarm of this type, at the drone's last known position. */
  raise(droneId: string, type: VehicleAlarmType, severity: Severity, text: string): Alarm {
    const at = this.o.fleet.position(droneId) ?? this.o.site.drones.find((d) => d.id === droneId)?.dock ?? { latDeg: 0, lonDeg: 0 };
    const { alarm, created } = this.o.alarms.fromVehicle(droneId, type, severity, text, { latDeg: at.latDeg, lonDeg: at.lonDeg });
    this.o.onAlarm(alarm);
    if (created) this.o.onRaised?.(droneId, type, text);
    return alarm;
  }

  close(): void {
    for (const off of this.offs.splice(0)) off();
  }
}
