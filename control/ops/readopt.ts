import type { DroneTelemetry } from '../../protocol/index.ts';
import type { DroneTask } from '../dispatch/choose-responder.ts';
import type { TransferResult } from '../vehicle/mission-transfer.ts';
import type { Autopilot } from '../vehicle/modes.ts';
import type { PlanItem } from '../vehicle/plan-item.ts';
import type { OpsTime } from './sim-time.ts';
import { isAirborne, isLanded } from './vehicle-state.ts';

/** What re-adoption needs of a vehicle: its link state and a mission download. */
export interface ReadoptVehicle {
  readonly droneId: string;
  readonly online: boolean;
  readonly autopilot: Autopilot;
  readonly mission: { download(): Promise<TransferResult> };
  on(event: 'online' | 'link_regained', fn: () => void): unknown;
  off(event: 'online' | 'link_regained', fn: () => void): unknown;
}

export interface ReadoptOptions {
  vehicles: ReadonlyMap<string, ReadoptVehicle>;
  fleet: {
    telemetry(droneId: string): DroneTelemetry | undefined;
    freshness(droneId: string): { stale: boolean } | undefined;
    setTask(droneId: string, task: DroneTask): void;
  };
  patrols: {
    readopt(droneId: string, held: PlanItem[], autopilot: Autopilot): { adopted: true; ringId: string; slot: number } | { adopted: false; why: string };
    landedWhileAway(droneId: string): void;
  };
  time: OpsTime;
  /** A drone found armed that is not re-adopted: the operator must know (a vehicle alarm). */
  notify(droneId: string, text: string): void;
  /** How often a drone online without a fresh report yet is looked at again (ops ms; default 500). */
  pollMs?: number;
  log?: (line: string) => void;
}

/** Downloads tried before a drone's mission counts as unreadable (the read-back after upload tries as many). */
const DOWNLOAD_ATTEMPTS = 3;

/**
 * After a control restart, each drone is looked at once as it comes online: one on the
 * ground ends whatever sortie it had; one armed (in the air, or armed for a launch that
 * was under way) has its mission read back and matched to the restored patrol's sortie.
 * A match carries on untouched; anything else is listed as manual and the operator told —
 * a drone whose task we do not know is never commanded. Nothing here sends a command:
 * the only traffic is the mission download.
 */
export class Readopter {
  private readonly done = new Set<string>();
  private readonly busy = new Set<string>();
  private readonly offs: (() => void)[] = [];
  private readonly timers: { cancel(): void }[] = [];
  private closed = false;
  /** Each drone's decision, for tests and the log. */
  readonly outcomes = new Map<string, string>();

  constructor(private readonly o: ReadoptOptions) {}

  start(): void {
    for (const v of this.o.vehicles.values()) {
      const look = () => void this.look(v);
      v.on('online', look);
      // A download that failed is tried again when the link comes back.
      v.on('link_regained', look);
      this.offs.push(() => {
        v.off('online', look);
        v.off('link_regained', look);
      });
      if (v.online) look();
    }
  }

  private async look(v: ReadoptVehicle): Promise<void> {
    const id = v.droneId;
    if (this.closed || this.done.has(id) || this.busy.has(id)) return;
    const t = this.o.fleet.telemetry(id);
    if (!t || this.o.fleet.freshness(id)?.stale !== false) {
      // Online from its HEARTBEAT; armed and height come with its first position report.
      this.timers.push(this.o.time.after(this.o.pollMs ?? 500, () => void this.look(v)));
      return;
    }
    if (isLanded(t)) {
      this.done.add(id);
      this.o.patrols.landedWhileAway(id);
      this.outcomes.set(id, 'on the ground');
      return;
    }
    this.busy.add(id);
    try {
      let r = await v.mission.download();
      for (let i = 1; i < DOWNLOAD_ATTEMPTS && r.status !== 'success' && !this.closed; i++) r = await v.mission.download();
      if (this.closed) return;
      if (r.status !== 'success' || !r.items) {
        this.unknown(id, t, `its mission could not be read back (${r.message ?? r.status}); retried when its link comes back`);
        return;
      }
      this.done.add(id);
      const verdict = this.o.patrols.readopt(id, r.items, v.autopilot);
      if (verdict.adopted) {
        this.outcomes.set(id, `re-adopted on ${verdict.ringId} slot ${verdict.slot}`);
        this.o.log?.(`${id}: re-adopted on its ${verdict.ringId} sortie (slot ${verdict.slot}) after a control restart`);
      } else this.unknown(id, t, verdict.why);
    } finally {
      this.busy.delete(id);
    }
  }

  private unknown(droneId: string, t: DroneTelemetry, why: string): void {
    if (isAirborne(t)) this.o.fleet.setTask(droneId, { kind: 'manual' });
    const text = `${droneId} found armed (${t.mode}, ${Math.round(t.altRelM)} m) after a control restart and not re-adopted: ${why}. Listed as manual; nothing was sent to it.`;
    this.outcomes.set(droneId, `manual: ${why}`);
    this.o.notify(droneId, text);
  }

  close(): void {
    this.closed = true;
    for (const off of this.offs.splice(0)) off();
    for (const t of this.timers.splice(0)) t.cancel();
  }
}
