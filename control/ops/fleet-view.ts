import type { DroneTelemetry } from '../../protocol/index.ts';
import type { Site } from '../../site/load.ts';
import type { Point } from '../../site/schema.ts';
import type { LocalFrame } from '../geo/local-frame.ts';
import type { Candidate, DroneTask } from '../dispatch/choose-responder.ts';
import type { FleetDrone } from '../planning/types.ts';
import type { Vehicle } from '../vehicle/vehicle.ts';
import type { Clock } from '../timeouts.ts';
import { deriveTask, isAirborne } from './vehicle-state.ts';

/** Telemetry older than this (or from a lost link) is shown as stale, never as current. */
export const TELEMETRY_STALE_MS = 3000;

export interface TelemetryFreshness {
  /** How long ago the vehicle last reported its position, in ms. */
  ageMs: number;
  /** The link is lost or the last position is older than TELEMETRY_STALE_MS. */
  stale: boolean;
}

/**
 * What the fleet view reads of a vehicle: its own telemetry (the one normalisation, in
 * vehicle.ts), when it last reported a position and on what clock, and whether it is heard.
 */
export type FleetVehicle = Pick<Vehicle, 'telemetry' | 'telemetryState' | 'online' | 'clock'>;

/**
 * The operations layer's view of the fleet: live telemetry from the vehicles (as the
 * drones reported it, never as we asked for it) and what task each drone is on, as
 * corrected by what the drone itself reports (vehicle-state.ts).
 */
export class FleetView {
  private readonly tasks = new Map<string, DroneTask>();
  /** Drones seen airborne since their task was last set. */
  private readonly flown = new Set<string>();

  constructor(
    private readonly site: Site,
    private readonly vehicles: ReadonlyMap<string, FleetVehicle>,
    private readonly clock: Clock,
  ) {}

  /**
   * The drone's last report, stamped with when it was measured: after a link loss this
   * is the last known state with its own (old) time, not a current-looking copy.
   */
  telemetry(droneId: string): DroneTelemetry | undefined {
    const v = this.vehicles.get(droneId);
    if (!v) return undefined;
    const age = this.freshness(droneId);
    // The vehicle turns its own state into DroneTelemetry (one normalisation, vehicle.ts).
    return v.telemetry(this.clock.nowMs() - (age?.ageMs ?? 0));
  }

  /** Age of the drone's last position report; undefined before any. */
  freshness(droneId: string): TelemetryFreshness | undefined {
    const v = this.vehicles.get(droneId);
    const at = v?.telemetryState.lastPositionMs;
    if (!v || at === undefined) return undefined;
    // lastPositionMs is on the vehicle's (link's) clock: measure the age there.
    const ageMs = Math.max(0, v.clock.nowMs() - at);
    return { ageMs, stale: !v.online || ageMs > TELEMETRY_STALE_MS };
  }

  online(droneId: string): boolean {
    return this.vehicles.get(droneId)?.online ?? false;
  }

  position(droneId: string): Point | undefined {
    const t = this.telemetry(droneId);
    return t ? { latDeg: t.latDeg, lonDeg: t.lonDeg } : undefined;
  }

  airborne(droneId: string): boolean {
    return isAirborne(this.telemetry(droneId));
  }

  /** The drone's task, corrected by its own report (landed ⇒ docked, RTL ⇒ returning, airborne ⇒ not docked). */
  task(droneId: string): DroneTask {
    const stored = this.tasks.get(droneId) ?? { kind: 'docked' };
    const t = this.telemetry(droneId);
    if (isAirborne(t)) this.flown.add(droneId);
    // A stale report says nothing about now: keep the task as it was.
    if (!t || this.freshness(droneId)?.stale) return stored;
    const derived = deriveTask(stored, t, this.flown.has(droneId));
    if (derived !== stored) this.store(droneId, derived);
    return derived;
  }

  setTask(droneId: string, task: DroneTask): void {
    this.store(droneId, task);
  }

  private store(droneId: string, task: DroneTask): void {
    this.tasks.set(droneId, task);
    if (this.airborne(droneId)) this.flown.add(droneId);
    else this.flown.delete(droneId);
  }

  /** Dispatch candidates in a planning frame. */
  candidates(frame: LocalFrame): Candidate[] {
    return this.site.drones.map((d) => {
      const t = this.telemetry(d.id);
      const airborne = this.airborne(d.id);
      return {
        id: d.id,
        dock: frame.toXy(d.dock),
        ...(airborne && t ? { airborneAt: frame.toXy(t) } : {}),
        maxSpeedMps: d.maxSpeedMps,
        cruiseSpeedMps: d.cruiseSpeedMps,
        enduranceS: d.enduranceS,
        reservePct: d.reservePct ?? 25,
        batteryPct: t?.batteryPct ?? 0,
        available: this.online(d.id) && t !== undefined,
        task: this.task(d.id),
      };
    });
  }

  /** The fleet as the patrol planner needs it: drones busy with alarms or offline are not available. */
  fleetDrones(): FleetDrone[] {
    return this.site.drones.map((d) => {
      const t = this.telemetry(d.id);
      const task = this.task(d.id);
      return {
        id: d.id,
        dock: { latDeg: d.dock.latDeg, lonDeg: d.dock.lonDeg },
        cruiseSpeedMps: d.cruiseSpeedMps,
        enduranceS: d.enduranceS,
        reservePct: d.reservePct ?? 25,
        batteryPct: t?.batteryPct ?? 0,
        available: this.online(d.id) && t !== undefined && task.kind !== 'alarm',
      };
    });
  }

  /** Drone-mounted speakers are where their drones are. */
  droneSpeakerPositions(): Map<string, Point | undefined> {
    const m = new Map<string, Point | undefined>();
    for (const d of this.site.drones) if (d.speaker) m.set(d.speaker.id, this.position(d.id));
    return m;
  }
}
