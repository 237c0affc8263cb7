import type { DroneTelemetry } from '../../protocol/index.ts';
import type { Site } from '../../site/load.ts';
import type { Point } from '../../site/schema.ts';
import type { LocalFrame } from '../geo/local-frame.ts';
import type { Candidate, DroneTask } from '../dispatch/choose-responder.ts';
import type { FleetDrone } from '../planning/types.ts';
import { normaliseTelemetry } from '../vehicle/telemetry-state.ts';
import type { Vehicle } from '../vehicle/vehicle.ts';
import type { Clock } from '../timeouts.ts';

/** Above this height a drone counts as flying. */
const AIRBORNE_REL_M = 2;

/**
 * The operations layer's view of the fleet: live telemetry from the vehicles (as the
 * drones reported it, never as we asked for it) and what task each drone is on.
 */
export class FleetView {
  private readonly tasks = new Map<string, DroneTask>();

  constructor(
    private readonly site: Site,
    private readonly vehicles: ReadonlyMap<string, Vehicle>,
    private readonly clock: Clock,
  ) {}

  telemetry(droneId: string): DroneTelemetry | undefined {
    const v = this.vehicles.get(droneId);
    if (!v) return undefined;
    return normaliseTelemetry(v.telemetryState, v.autopilot, this.clock.nowMs(), v.linkMeter.qualityPct);
  }

  online(droneId: string): boolean {
    return this.vehicles.get(droneId)?.online ?? false;
  }

  position(droneId: string): Point | undefined {
    const t = this.telemetry(droneId);
    return t ? { latDeg: t.latDeg, lonDeg: t.lonDeg } : undefined;
  }

  airborne(droneId: string): boolean {
    const t = this.telemetry(droneId);
    return !!t && t.armed && t.altRelM > AIRBORNE_REL_M;
  }

  task(droneId: string): DroneTask {
    return this.tasks.get(droneId) ?? { kind: 'docked' };
  }

  setTask(droneId: string, task: DroneTask): void {
    this.tasks.set(droneId, task);
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
