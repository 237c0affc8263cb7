import type { Site } from '../../site/load.ts';
import type { RingId } from '../../site/schema.ts';
import type { DroneCommands } from '../commands/drone-commands.ts';
import type { LocalFrame } from '../geo/local-frame.ts';
import { patrolMission } from '../planning/patrol-mission.ts';
import { planPatrol } from '../planning/plan.ts';
import type { PatrolPlan, PlanOptions, RingPlan, Sortie } from '../planning/types.ts';
import { noFlyPolygons } from '../planning/zones.ts';
import { failureText, runSteps } from './drone-steps.ts';
import type { FleetView } from './fleet-view.ts';
import type { OpsTime } from './sim-time.ts';

export type SortieStatus = 'scheduled' | 'launching' | 'flying' | 'returning' | 'done' | 'failed' | 'cancelled';

export interface SortieState extends Sortie {
  status: SortieStatus;
  commandIds: string[];
  failure?: string;
}

export interface RingPatrolState {
  ringId: RingId;
  active: boolean;
  startedAtMs?: number;
  plan?: Omit<RingPlan, 'sorties'>;
  sorties: SortieState[];
}

export interface PatrolServiceOptions {
  site: Site;
  fleet: FleetView;
  drones: DroneCommands;
  frame: LocalFrame;
  time: OpsTime;
  planOptions?: Partial<PlanOptions>;
  onChange?: (state: RingPatrolState[]) => void;
}

/**
 * Flies ring patrols: plans with the fleet as it is now, then runs each sortie at its
 * launch time — mission upload (read back and compared before anything flies), GUIDED,
 * arm, MISSION_START — so reliefs take off on schedule and reach the slot as the drone
 * they relieve turns home. Every step goes through the ledger.
 */
export class PatrolService {
  private readonly rings = new Map<RingId, RingPatrolState>();
  private readonly timers = new Map<RingId, { cancel(): void }[]>();
  lastPlan: PatrolPlan | undefined;

  constructor(private readonly o: PatrolServiceOptions) {
    for (const r of o.site.rings) this.rings.set(r.id, { ringId: r.id, active: false, sorties: [] });
  }

  state(): RingPatrolState[] {
    return [...this.rings.values()];
  }

  /** Starts patrols on the given rings (default: all). Rings already running keep their plan. */
  start(ringIds: RingId[] = this.o.site.rings.map((r) => r.id)): RingPatrolState[] {
    const now = this.o.time.nowMs();
    // Drones already flying another ring's patrol are not free for this plan.
    const busy = new Set([...this.rings.values()].filter((r) => r.active).flatMap((r) => r.plan?.drones ?? []));
    const fleet = this.o.fleet.fleetDrones().map((d) => (busy.has(d.id) ? { ...d, available: false } : d));
    const plan = planPatrol({ site: this.o.site, fleet, nowMs: now, options: this.o.planOptions ?? {} });
    this.lastPlan = plan;
    for (const ringPlan of plan.rings) {
      if (!ringIds.includes(ringPlan.ringId) || this.rings.get(ringPlan.ringId)!.active) continue;
      const { sorties, ...summary } = ringPlan;
      const st: RingPatrolState = { ringId: ringPlan.ringId, active: true, startedAtMs: now, plan: summary, sorties: sorties.map((s) => ({ ...s, status: 'scheduled', commandIds: [] })) };
      this.rings.set(ringPlan.ringId, st);
      this.timers.set(
        ringPlan.ringId,
        st.sorties.map((s) => this.o.time.after(s.launchAtMs - now, () => void this.launch(ringPlan, s))),
      );
    }
    this.changed();
    return this.state();
  }

  /** Stops patrols: pending sorties are cancelled and airborne patrol drones come home. */
  stop(ringIds: RingId[] = this.o.site.rings.map((r) => r.id), issuer = 'control'): RingPatrolState[] {
    for (const id of ringIds) {
      for (const t of this.timers.get(id) ?? []) t.cancel();
      this.timers.delete(id);
      const st = this.rings.get(id);
      if (!st?.active) continue;
      st.active = false;
      for (const s of st.sorties) {
        if (s.status === 'scheduled') s.status = 'cancelled';
        if (s.status === 'launching' || s.status === 'flying') {
          s.status = 'returning';
          if (this.o.fleet.task(s.droneId).kind === 'patrol') {
            s.commandIds.push(this.o.drones.issue(s.droneId, { action: 'rtl' }, issuer).id);
            this.o.fleet.setTask(s.droneId, { kind: 'returning' });
          }
        }
      }
    }
    this.changed();
    return this.state();
  }

  private async launch(ring: RingPlan, s: SortieState): Promise<void> {
    const drone = this.o.site.drones.find((d) => d.id === s.droneId)!;
    if (this.o.fleet.task(s.droneId).kind === 'alarm') {
      s.status = 'failed';
      s.failure = 'drone is responding to an alarm';
      return this.changed();
    }
    s.status = 'launching';
    this.o.fleet.setTask(s.droneId, { kind: 'patrol', ringId: ring.ringId });
    this.changed();
    const zones = noFlyPolygons(this.o.site.noFlyZones, this.o.frame, this.o.planOptions?.nfzMarginM ?? 50);
    const mission = patrolMission(ring, s, drone.dock, zones, this.o.frame, drone.mavlink.autopilot === 'px4' ? 0 : 1);
    const r = await runSteps(
      this.o.drones,
      s.droneId,
      [
        { action: 'plan_upload', missionType: 'mission', items: mission.items },
        { action: 'set_mode', mode: 'GUIDED' },
        { action: 'arm' },
        { action: 'mission_start' },
      ],
      'patrol',
      (id) => s.commandIds.push(id),
    );
    if (!r.ok) {
      s.status = 'failed';
      s.failure = failureText(r.failed);
      this.o.fleet.setTask(s.droneId, { kind: 'docked' });
      return this.changed();
    }
    s.status = 'flying';
    this.changed();
    // The mission flies the planned distance and then returns by itself, which covers a
    // lost link. Corners and checkpoint spurs make a real drone slower than cruise, so the
    // energy budget is enforced by time as well: at the planned off-station time, home.
    const offIn = s.offStationAtMs - this.o.time.nowMs();
    const recall = this.o.time.after(Math.max(0, offIn), () => {
      if (s.status !== 'flying' || this.o.fleet.task(s.droneId).kind !== 'patrol') return;
      s.status = 'returning';
      s.commandIds.push(this.o.drones.issue(s.droneId, { action: 'rtl' }, 'patrol').id);
      this.changed();
    });
    this.timers.get(ring.ringId)?.push(recall);
    const landIn = s.landAtMs - this.o.time.nowMs();
    const t = this.o.time.after(Math.max(0, landIn), () => {
      if (s.status === 'flying' || s.status === 'returning') s.status = 'done';
      if (this.o.fleet.task(s.droneId).kind === 'patrol') this.o.fleet.setTask(s.droneId, { kind: 'docked' });
      this.changed();
    });
    this.timers.get(ring.ringId)?.push(t);
  }

  private changed(): void {
    this.o.onChange?.(this.state());
  }

  close(): void {
    for (const list of this.timers.values()) for (const t of list) t.cancel();
    this.timers.clear();
  }
}
