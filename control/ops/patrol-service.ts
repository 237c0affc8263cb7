import type { Site } from '../../site/load.ts';
import type { RingId } from '../../site/schema.ts';
import type { DroneCommands, DroneRequest } from '../commands/drone-commands.ts';
import type { LocalFrame } from '../geo/local-frame.ts';
import { distXy } from '../geo/local-frame.ts';
import { patrolMission, type PatrolMission } from '../planning/patrol-mission.ts';
import { planPatrol } from '../planning/plan.ts';
import type { PlanJobInput } from './plan-runner.ts';
import { DrainMeter, returnNeed } from '../planning/return-reserve.ts';
import { siteFence, type SiteFence } from '../planning/site-fence.ts';
import { DEFAULT_PLAN_OPTIONS, type PatrolPlan, type PlanOptions, type RingPlan, type Sortie } from '../planning/types.ts';
import { noFlyPolygons } from '../planning/zones.ts';
import { encodeFenceSteps, encodeMissionSteps, missionStepIndexOfSeq } from '../vehicle/mission-encoder.ts';
import type { Autopilot } from '../vehicle/modes.ts';
import type { PlanItem } from '../vehicle/plan-item.ts';
import type { Vehicle } from '../vehicle/vehicle.ts';
import type { VehicleListen } from '../vehicle/vehicle-context.ts';
import type { AchievedSpeed } from './achieved-speed.ts';
import { failureText } from './drone-steps.ts';
import type { FleetView } from './fleet-view.ts';
import { RevisitMeter } from './revisit-meter.ts';
import type { OpsTime } from './sim-time.ts';
import { missionHash, type PatrolSnapshot, type SortieMission } from './patrol-store.ts';
import { firstMismatch } from '../vehicle/plan-compare.ts';
import { isAirborne, isHomeward, isLanded } from './vehicle-state.ts';

export type SortieStatus = 'scheduled' | 'launching' | 'flying' | 'returning' | 'done' | 'failed' | 'cancelled';

export interface SortieState extends Sortie {
  status: SortieStatus;
  commandIds: string[];
  failure?: string;
  /** Why the sortie ended or turned home other than as planned (battery, a manual RTL, a landing). */
  note?: string;
  /** The drone was seen in the air during this sortie (a landing before take-off is no landing). */
  airborneSeen?: boolean;
}

export interface RevisitFigures {
  /** The plan's promise: one lap as the aircraft flies it, over the drones on the loop. */
  plannedS: number;
  /** Measured from the drones' passes over the loop's waypoints (MISSION_ITEM_REACHED). */
  measuredS?: number;
  plannedLapS: number;
  measuredLapS?: number;
  /** Passes over loop waypoints seen, and how many revisit intervals `measuredS` averages. */
  passes: number;
  revisits: number;
}

export interface RingPatrolState {
  ringId: RingId;
  active: boolean;
  startedAtMs?: number;
  plan?: Omit<RingPlan, 'sorties'>;
  sorties: SortieState[];
  revisit?: RevisitFigures;
}

/** What a patrol reads of a vehicle: the autopilot it reports (how its mission is encoded) and MISSION_ITEM_REACHED. */
export type PatrolVehicle = Pick<Vehicle, 'autopilot'> & VehicleListen;

export interface PatrolServiceOptions {
  site: Site;
  fleet: FleetView;
  drones: DroneCommands;
  frame: LocalFrame;
  time: OpsTime;
  planOptions?: Partial<PlanOptions>;
  /** For MISSION_ITEM_REACHED (measured revisit); without it only the plan's figure is shown. */
  vehicles?: ReadonlyMap<string, PatrolVehicle>;
  /** Speeds the drones really fly, for the way home. */
  speeds?: AchievedSpeed;
  onChange?: (state: RingPatrolState[]) => void;
  /** A sortie's mission ended other than as planned (turned home early, never took off): a vehicle alarm. */
  onSortieAborted?: (droneId: string, why: string) => void;
}

/** A sortie whose drone is still disarmed on the ground this long after MISSION_START did not take off. */
const NO_TAKEOFF_MS = 30_000;

/** A drone turning home for its battery this long before the plan said is relieved early. */
const EARLY_RELIEF_SLACK_MS = 30_000;

/**
 * Flies ring patrols: plans with the fleet as it is now, then runs each sortie at its
 * launch time — geofence upload (inclusion ring + no-fly exclusions, read back), mission
 * upload (read back), GUIDED, arm, MISSION_START — so reliefs take off on schedule and
 * reach the slot as the drone they relieve turns home. Every step goes through the
 * ledger. What happens after launch is taken from the drones' own reports (`observe`):
 * a drone that turned home (its mission's end, a manual RTL, a failsafe) is returning,
 * one that landed and disarmed has ended its sortie, and one whose battery will not
 * last to its planned turn is sent home early and relieved early.
 */
export class PatrolService {
  private readonly rings = new Map<RingId, RingPatrolState>();
  private readonly timers = new Map<RingId, { cancel(): void }[]>();
  private readonly launchTimers = new Map<SortieState, { cancel(): void }>();
  private readonly missions = new Map<SortieState, PatrolMission>();
  private readonly drains = new Map<SortieState, DrainMeter>();
  private readonly meters = new Map<RingId, RevisitMeter>();
  private readonly unsubscribe = new Map<SortieState, () => void>();
  /** When MISSION_START was accepted, for a drone that then never leaves the ground. */
  private readonly startedAt = new Map<SortieState, number>();
  /** The mission each launched sortie's drone holds, as sent and read back: kept across a restart. */
  private readonly sent = new Map<SortieState, SortieMission>();
  /** Sorties in the air when control last stopped, until their drone's mission is read back. */
  private readonly awaiting = new Set<SortieState>();
  private readonly changeListeners = new Set<() => void>();
  private readonly opts: PlanOptions;
  private readonly fence: SiteFence;
  /** The fence as both autopilots take it (mission-encoder.ts), encoded once. */
  private readonly fenceItems: PlanItem[];
  lastPlan: PatrolPlan | undefined;

  constructor(private readonly o: PatrolServiceOptions) {
    this.opts = { ...DEFAULT_PLAN_OPTIONS, ...o.planOptions };
    this.fence = siteFence(o.site, o.frame, this.opts.nfzMarginM);
    this.fenceItems = encodeFenceSteps(this.fence.steps);
    for (const r of o.site.rings) this.rings.set(r.id, { ringId: r.id, active: false, sorties: [] });
  }

  state(): RingPatrolState[] {
    return [...this.rings.values()].map((r) => {
      const m = this.meters.get(r.ringId);
      if (!r.plan) return r;
      const revisit: RevisitFigures = { plannedS: r.plan.revisitIntervalS, plannedLapS: r.plan.lapS, passes: m?.passes ?? 0, revisits: m?.revisitCount ?? 0 };
      if (m?.revisitIntervalS !== undefined) revisit.measuredS = m.revisitIntervalS;
      if (m?.lapS !== undefined) revisit.measuredLapS = m.lapS;
      return { ...r, revisit };
    });
  }

  /** Whether the drone flies a sortie of a running patrol on this ring now. */
  flyingPatrol(droneId: string, ringId: string): boolean {
    const r = this.rings.get(ringId as RingId);
    return !!r?.active && r.sorties.some((s) => s.droneId === droneId && s.status === 'flying');
  }

  /**
   * Why taking this drone off its patrol would leave the ring with fewer drones on the
   * loop than its plan's slots (the ring's patrol minimum), or undefined when it would
   * not (a relief overlapping) or the drone is on no running patrol.
   */
  ringShortfall(droneId: string): string | undefined {
    for (const r of this.rings.values()) {
      if (!r.active || !r.plan) continue;
      const mine = r.sorties.find((s) => s.droneId === droneId && s.status === 'flying');
      if (!mine) continue;
      const onLoop = r.sorties.filter((s) => s.status === 'flying' && this.o.fleet.task(s.droneId).kind === 'patrol').length;
      if (onLoop - 1 < r.plan.slots) return `taking ${droneId} leaves the ${r.ringId} patrol with ${onLoop - 1} of its ${r.plan.slots} drones`;
    }
    return undefined;
  }

  /**
   * Starts patrols on the given rings (default: all), planning on this thread. Rings
   * already running keep their plan. The API uses `startPlanned`: a large fleet's plan
   * takes long enough to stall every other request.
   */
  start(ringIds: RingId[] = this.o.site.rings.map((r) => r.id)): RingPatrolState[] {
    const input = this.planInput();
    return this.adopt(planPatrol({ site: this.o.site, ...input }), ringIds, input.nowMs);
  }

  /**
   * `start` with the plan made by `plan` (the API's worker thread). Starts run one after
   * another, each planning once the previous one has adopted its plan, so two starts never
   * plan with the same drones; a refusal from `plan` rejects this start and no other.
   */
  startPlanned(ringIds: RingId[] = this.o.site.rings.map((r) => r.id), plan: (input: PlanJobInput) => Promise<PatrolPlan>): Promise<RingPatrolState[]> {
    const run = this.starting.then(async () => {
      const input = this.planInput();
      return this.adopt(await plan(input), ringIds, input.nowMs);
    });
    this.starting = run.catch(() => undefined);
    return run;
  }

  private starting: Promise<unknown> = Promise.resolve();

  /** The fleet as it is now; drones already flying another ring's patrol are not free for this plan. */
  private planInput(): PlanJobInput & { nowMs: number } {
    const busy = new Set([...this.rings.values()].filter((r) => r.active).flatMap((r) => r.plan?.drones ?? []));
    const fleet = this.o.fleet.fleetDrones().map((d) => (busy.has(d.id) ? { ...d, available: false } : d));
    return { fleet, nowMs: this.o.time.nowMs(), options: this.o.planOptions ?? {} };
  }

  private adopt(plan: PatrolPlan, ringIds: RingId[], now: number): RingPatrolState[] {
    this.lastPlan = plan;
    for (const ringPlan of plan.rings) {
      if (!ringIds.includes(ringPlan.ringId) || this.rings.get(ringPlan.ringId)!.active) continue;
      const { sorties, ...summary } = ringPlan;
      const st: RingPatrolState = { ringId: ringPlan.ringId, active: true, startedAtMs: now, plan: summary, sorties: sorties.map((s) => ({ ...s, status: 'scheduled', commandIds: [] })) };
      this.rings.set(ringPlan.ringId, st);
      this.meters.set(ringPlan.ringId, new RevisitMeter());
      this.timers.set(ringPlan.ringId, []);
      // Launch times are on the plan's clock; a plan made off-thread arrives a little later.
      const atMs = this.o.time.nowMs();
      for (const s of st.sorties) this.scheduleLaunch(ringPlan, s, s.launchAtMs - atMs);
    }
    this.changed();
    return this.state();
  }

  private scheduleLaunch(ring: RingPlan, s: SortieState, inMs: number): void {
    this.launchTimers.get(s)?.cancel();
    this.launchTimers.set(s, this.o.time.after(Math.max(0, inMs), () => void this.launch(ring, s)));
  }

  /**
   * Stops patrols: pending sorties are cancelled, airborne patrol drones come home. A
   * drone on the ground is sent nothing (an RTL to a landed drone is refused or, worse,
   * makes it take off); one taken by an alarm or an operator stays with them.
   */
  stop(ringIds: RingId[] = this.o.site.rings.map((r) => r.id), issuer = 'control'): RingPatrolState[] {
    for (const id of ringIds) {
      for (const t of this.timers.get(id) ?? []) t.cancel();
      this.timers.delete(id);
      const st = this.rings.get(id);
      if (!st?.active) continue;
      st.active = false;
      for (const s of st.sorties) {
        this.launchTimers.get(s)?.cancel();
        this.launchTimers.delete(s);
        if (s.status === 'scheduled') s.status = 'cancelled';
        else if (this.awaiting.has(s)) {
          // Never re-adopted: what it flies is unknown, so nothing is sent to it blindly.
          s.status = 'cancelled';
          s.note = 'patrol stopped before the drone was re-adopted after a control restart: nothing sent';
          this.release(s);
        } else if (s.status === 'launching') {
          // The launch sees this between its steps and sends nothing further.
          s.status = 'cancelled';
          s.note = 'patrol stopped during launch';
        } else if (s.status === 'flying') {
          const task = this.o.fleet.task(s.droneId);
          if (task.kind !== 'patrol') {
            s.status = 'cancelled';
            s.note = `drone taken for ${task.kind === 'alarm' ? `alarm ${task.alarmId}` : task.kind}; not recalled`;
            this.release(s);
          } else if (!this.o.fleet.airborne(s.droneId)) {
            s.status = s.airborneSeen ? 'done' : 'cancelled';
            s.note = 'patrol stopped with the drone on the ground: nothing sent';
            this.o.fleet.setTask(s.droneId, { kind: 'docked' });
            this.release(s);
          } else {
            s.status = 'returning';
            s.note = 'patrol stopped';
            this.sendRtl(s, issuer);
            this.o.fleet.setTask(s.droneId, { kind: 'returning' });
          }
        }
      }
    }
    this.changed();
    return this.state();
  }

  private async launch(ring: RingPlan, s: SortieState): Promise<void> {
    this.launchTimers.delete(s);
    if (s.status !== 'scheduled' || !this.rings.get(ring.ringId)?.active) return;
    const drone = this.o.site.drones.find((d) => d.id === s.droneId)!;
    const fail = (why: string) => {
      s.status = 'failed';
      s.failure = why;
      this.o.fleet.setTask(s.droneId, { kind: 'docked' });
      this.changed();
    };
    if (this.o.fleet.task(s.droneId).kind === 'alarm') return fail('drone is responding to an alarm');
    const other = this.activeSortie(s.droneId);
    if (other) return fail(`drone still on its ${other.ringId} sortie (slot ${other.slot}, ${other.status})`);
    if (this.o.fleet.airborne(s.droneId)) return fail(`drone is in the air (${this.o.fleet.task(s.droneId).kind})`);
    const battery = this.o.fleet.telemetry(s.droneId)?.batteryPct ?? 0;
    const needPct = this.sortieNeedPct(s, drone);
    if (battery < needPct) return fail(`battery ${battery}% below the ${Math.ceil(needPct)}% this sortie needs (not swapped since its last flight?)`);
    if (this.fence.problems.length > 0) return fail(`fence: ${this.fence.problems.join('; ')}`);
    s.status = 'launching';
    this.o.fleet.setTask(s.droneId, { kind: 'patrol', ringId: ring.ringId });
    this.changed();
    const zones = noFlyPolygons(this.o.site.noFlyZones, this.o.frame, this.opts.nfzMarginM);
    const mission = patrolMission(ring, s, drone.dock, zones, this.o.frame);
    // Encoded for the autopilot the vehicle says it is (its HEARTBEAT refines the site file's).
    const autopilot = this.o.vehicles?.get(s.droneId)?.autopilot ?? drone.mavlink.autopilot ?? 'ardupilot';
    this.missions.set(s, mission);
    const missionItems = encodeMissionSteps(autopilot, mission.steps);
    this.sent.set(s, { autopilot, items: missionItems, hash: missionHash(missionItems) });
    // The fence goes first: nothing arms until the vehicle holds the site's fence as sent.
    const steps: { req: DroneRequest; what: string }[] = [
      { req: { action: 'plan_upload', missionType: 'fence', items: this.fenceItems }, what: 'fence' },
      // Uploaded is not enforced: ArduCopter acts on the fence only once it is enabled.
      { req: { action: 'fence_enable' }, what: 'fence' },
      { req: { action: 'plan_upload', missionType: 'mission', items: missionItems }, what: 'mission' },
      { req: { action: 'set_mode', mode: 'GUIDED' }, what: 'mode' },
      { req: { action: 'arm' }, what: 'arm' },
      { req: { action: 'mission_start' }, what: 'start' },
    ];
    for (const step of steps) {
      // Stopped meanwhile: send nothing more. An armed drone left in GUIDED on the ground
      // disarms by itself (ArduCopter DISARM_DELAY, PX4 COM_DISARM_PRFLT).
      if (s.status !== 'launching') return this.changed();
      const cmd = this.o.drones.issue(s.droneId, step.req, 'patrol');
      s.commandIds.push(cmd.id);
      const rec = await cmd.done;
      if (rec.state !== 'succeeded') {
        if (s.status !== 'launching') return this.changed();
        return fail(`${step.what === 'fence' ? 'fence ' : ''}${failureText(rec)}`);
      }
    }
    if (s.status !== 'launching') {
      // Stopped between MISSION_START's send and its ack: the drone is taking off.
      s.status = 'returning';
      this.sendRtl(s, 'patrol');
      this.o.fleet.setTask(s.droneId, { kind: 'returning' });
      return this.changed();
    }
    s.status = 'flying';
    this.startedAt.set(s, this.o.time.nowMs());
    this.listen(ring.ringId, s, mission, autopilot);
    this.changed();
    this.armRecall(ring.ringId, s);
  }

  /**
   * The mission flies the planned distance and then returns by itself, which covers a
   * lost link; the planned turn home is enforced by time as well, in case the drone
   * flew slower than planned.
   */
  private armRecall(ringId: RingId, s: SortieState): void {
    const recall = this.o.time.after(Math.max(0, s.offStationAtMs - this.o.time.nowMs()), () => {
      if (s.status !== 'flying' || this.o.fleet.task(s.droneId).kind !== 'patrol' || !this.o.fleet.airborne(s.droneId)) return;
      this.sendHome(s, 'planned turn home');
    });
    this.timers.get(ringId)?.push(recall);
  }

  /** The drone's sortie in progress on any ring, if any. */
  private activeSortie(droneId: string): SortieState | undefined {
    for (const r of this.rings.values()) {
      const s = r.sorties.find((x) => x.droneId === droneId && (x.status === 'launching' || x.status === 'flying' || x.status === 'returning'));
      if (s) return s;
    }
    return undefined;
  }

  /** Battery the planned sortie spends by the endurance model, reserve included (no allowance: the plan already holds the reserve). */
  private sortieNeedPct(s: Sortie, drone: Site['drones'][number]): number {
    const reservePct = drone.reservePct ?? 25;
    return Math.min(100, reservePct + ((s.landAtMs - s.launchAtMs) / 1000 / drone.enduranceS) * 100 - 1);
  }

  /** MISSION_ITEM_REACHED for a loop waypoint is a pass over that vertex. */
  private listen(ringId: RingId, s: SortieState, mission: PatrolMission, autopilot: Autopilot): void {
    const v = this.o.vehicles?.get(s.droneId);
    const meter = this.meters.get(ringId);
    if (!v || !meter) return;
    const onReached = (seq: number) => {
      const step = missionStepIndexOfSeq(autopilot, seq, mission.steps.length);
      const vertex = step === undefined ? undefined : mission.loopVertexOf[step];
      if (vertex !== undefined && s.status === 'flying') meter.pass(s.droneId, vertex, this.o.time.nowMs());
    };
    v.on('mission_item_reached', onReached);
    this.unsubscribe.set(s, () => v.off('mission_item_reached', onReached));
  }

  private release(s: SortieState): void {
    this.unsubscribe.get(s)?.();
    this.unsubscribe.delete(s);
    this.drains.delete(s);
    this.missions.delete(s);
    this.startedAt.delete(s);
    this.sent.delete(s);
    this.awaiting.delete(s);
  }

  /**
   * RTL for a sortie. Its record now settles on the outcome (landed and disarmed at home),
   * so one that ends otherwise (a pilot took it, it landed elsewhere, timed out) is said on
   * the sortie while it is still shown returning; observe() ends the sortie on the landing.
   */
  private sendRtl(s: SortieState, issuer: string): void {
    const cmd = this.o.drones.issue(s.droneId, { action: 'rtl' }, issuer);
    s.commandIds.push(cmd.id);
    void cmd.done.then((rec) => {
      if (rec.state === 'succeeded' || rec.state === 'cancelled' || s.status !== 'returning') return;
      s.note = `${s.note ? `${s.note}; ` : ''}return home not achieved: ${failureText(rec)}`;
      this.changed();
    });
  }

  private sendHome(s: SortieState, why: string): void {
    s.status = 'returning';
    s.note = why;
    this.sendRtl(s, 'patrol');
    this.o.fleet.setTask(s.droneId, { kind: 'returning' });
    this.changed();
  }

  /**
   * Brings sorties up to date with what the drones report; called on every operations
   * tick. Stale telemetry (a lost link) changes nothing: the mission's own RTL covers it.
   */
  observe(): void {
    let changed = false;
    const now = this.o.time.nowMs();
    for (const st of this.rings.values()) {
      for (const s of st.sorties) {
        // Not ours to judge (or command) until its mission is read back and matched.
        if ((s.status !== 'flying' && s.status !== 'returning') || this.awaiting.has(s)) continue;
        const t = this.o.fleet.telemetry(s.droneId);
        if (!t || this.o.fleet.freshness(s.droneId)?.stale) continue;
        if (isAirborne(t) && !s.airborneSeen) {
          s.airborneSeen = true;
          changed = true;
        }
        if (!s.airborneSeen) {
          // Accepted MISSION_START but still (or again) disarmed on the ground: it did not go.
          if (s.status === 'flying' && isLanded(t) && now - (this.startedAt.get(s) ?? now) > NO_TAKEOFF_MS) {
            s.status = 'failed';
            s.failure = `disarmed on the ground ${Math.round((now - this.startedAt.get(s)!) / 1000)} s after MISSION_START: did not take off`;
            this.o.onSortieAborted?.(s.droneId, `${st.ringId} sortie: ${s.failure}`);
            this.o.fleet.setTask(s.droneId, { kind: 'docked' });
            this.release(s);
            changed = true;
          }
          continue;
        }
        const drone = this.o.site.drones.find((d) => d.id === s.droneId)!;
        const reservePct = drone.reservePct ?? 25;
        if (isLanded(t)) {
          const early = s.status === 'flying';
          s.status = 'done';
          if (t.batteryPct <= reservePct) s.note = `landed with ${t.batteryPct}% battery`;
          else if (early) s.note ??= `landed (${t.mode}) before its planned turn home`;
          this.release(s);
          changed = true;
          continue;
        }
        if (s.status === 'flying' && isHomeward(t)) {
          // The mission's own RTL at its end, or an operator's or a failsafe's before it.
          s.status = 'returning';
          if (s.note === undefined && now < s.offStationAtMs - EARLY_RELIEF_SLACK_MS) {
            s.note = `${t.mode} reported by the drone before its planned turn home`;
            this.o.onSortieAborted?.(s.droneId, `${st.ringId} mission aborted: ${s.note}`);
          }
          this.reliefNow(st, s);
          changed = true;
          continue;
        }
        if (s.status === 'flying' && isAirborne(t)) changed = this.checkBattery(st, s, t, drone, reservePct) || changed;
      }
    }
    if (changed) this.changed();
  }

  /** Sends the drone home when its reported battery only just covers the way home; relieves it early when it will. */
  private checkBattery(
    st: RingPatrolState,
    s: SortieState,
    t: { batteryPct: number; latDeg: number; lonDeg: number },
    drone: Site['drones'][number],
    reservePct: number,
  ): boolean {
    let meter = this.drains.get(s);
    if (!meter) this.drains.set(s, (meter = new DrainMeter(100 / drone.enduranceS)));
    const now = this.o.time.nowMs();
    meter.sample(now, t.batteryPct);
    const need = returnNeed({
      batteryPct: t.batteryPct,
      distanceHomeM: distXy(this.o.frame.toXy(t), this.o.frame.toXy(drone.dock)),
      homeSpeedMps: this.o.speeds?.speedMps(s.droneId, drone.cruiseSpeedMps) ?? drone.cruiseSpeedMps,
      drainPctPerS: meter.pctPerS,
      reservePct,
      landingS: this.opts.landingS,
      flight: this.opts.flight,
    });
    if (need.mustReturn) {
      this.sendHome(s, `battery ${t.batteryPct}%: the way home needs ${Math.ceil(need.needPct)}%`);
      this.reliefNow(st, s);
      return true;
    }
    // Draining faster than planned: the relief must be there when this drone has to turn.
    const mustTurnAtMs = now + need.spareS * 1000;
    if (mustTurnAtMs < s.offStationAtMs - EARLY_RELIEF_SLACK_MS) return this.reliefBy(st, s, mustTurnAtMs);
    return false;
  }

  /**
   * A vehicle alarm on a patrol drone updates its sortie at once (issue 14 item 5: "the
   * patrol still listed it as flying"): a landing away from the dock ends the sortie as
   * failed; a failsafe, fence breach or low battery means the autopilot is taking it home
   * (returning); a lost link keeps it flying on its mission (which returns by itself) but
   * noted. In every case the slot's relief is launched now.
   */
  vehicleAlarm(droneId: string, type: string, text: string): void {
    for (const st of this.rings.values()) {
      const s = st.sorties.find((x) => x.droneId === droneId && (x.status === 'flying' || x.status === 'returning'));
      if (!s || this.awaiting.has(s)) continue;
      if (type === 'unplanned_landing') {
        s.status = 'failed';
        s.failure = text;
        this.o.fleet.setTask(droneId, { kind: 'docked' });
        this.release(s);
      } else if (type === 'link_lost') {
        s.note = `link lost: ${text}`;
      } else if (type === 'failsafe' || type === 'fence_breach' || type === 'low_battery') {
        if (s.status === 'flying') s.status = 'returning';
        s.note = `${type.replace('_', ' ')}: ${text}`;
      } else continue;
      this.reliefNow(st, s);
      this.changed();
    }
  }

  /** The slot's next sortie, if its drone is free to go now (on the ground, on no other sortie). */
  private nextInSlot(st: RingPatrolState, s: SortieState): SortieState | undefined {
    // The direct successor only: when it is already up, the slot is covered and the
    // sortie after it keeps its own time.
    const next = st.sorties.filter((x) => x.slot === s.slot && x.launchAtMs >= s.launchAtMs && x !== s).sort((a, b) => a.launchAtMs - b.launchAtMs)[0];
    if (!next || next.status !== 'scheduled' || next.droneId === s.droneId || this.activeSortie(next.droneId) || this.o.fleet.airborne(next.droneId)) return undefined;
    return next;
  }

  private reliefNow(st: RingPatrolState, s: SortieState, why?: string): boolean {
    return this.reliefBy(st, s, this.o.time.nowMs(), why);
  }

  /**
   * An operator confirmed taking this patrol drone for an alarm although its ring falls
   * below its patrol minimum (dispatch `confirm`): the slot's relief launches at once
   * when a docked drone can take it, as for a vehicle alarm. The sortie stays listed as
   * flying (the drone is still up and may come back to the patrol) with the reason noted.
   * Returns whether a relief was launched early.
   */
  droneTaken(droneId: string, why: string): boolean {
    let launched = false;
    for (const st of this.rings.values()) {
      const s = st.sorties.find((x) => x.droneId === droneId && x.status === 'flying');
      if (!s || !st.active) continue;
      s.note = why;
      launched = this.reliefNow(st, s, `launched now: ${droneId} ${why}`) || launched;
    }
    this.changed();
    return launched;
  }

  /** Moves the slot's next sortie so it is on station by `atMs` (or launches it now). */
  private reliefBy(st: RingPatrolState, s: SortieState, atMs: number, why?: string): boolean {
    const next = this.nextInSlot(st, s);
    const ring = this.lastPlanRing(st);
    if (!next || !ring || !st.active) return false;
    const transitMs = next.onStationAtMs - next.launchAtMs;
    const launchAtMs = Math.max(this.o.time.nowMs(), atMs - transitMs);
    if (launchAtMs >= next.launchAtMs - 1000) return false;
    // The whole sortie moves (same time on station, same battery), and it joins the loop
    // where its slot's station is at the earlier time.
    const shiftMs = next.launchAtMs - launchAtMs;
    next.launchAtMs -= shiftMs;
    next.onStationAtMs -= shiftMs;
    next.offStationAtMs -= shiftMs;
    next.landAtMs -= shiftMs;
    const L = ring.loopLengthM;
    next.joinAtM = (((next.joinAtM - (ring.meanSpeedMps * shiftMs) / 1000) % L) + L) % L;
    next.note = why ? `${why} (${Math.round(shiftMs / 1000)} s early)` : `launched ${Math.round(shiftMs / 1000)} s early: ${s.droneId} drains faster than planned`;
    this.scheduleLaunch(ring, next, launchAtMs - this.o.time.nowMs());
    return true;
  }

  private lastPlanRing(st: RingPatrolState): RingPlan | undefined {
    return st.plan ? { ...st.plan, sorties: [] } : undefined;
  }

  private changed(): void {
    this.o.onChange?.(this.state());
    for (const fn of this.changeListeners) fn();
  }

  /** Calls fn after every change of the patrol state (the state file); returns the unsubscribe. */
  onStateChange(fn: () => void): () => void {
    this.changeListeners.add(fn);
    return () => this.changeListeners.delete(fn);
  }

  /** The running patrols with each launched sortie's mission as sent, for the state file. */
  snapshot(): PatrolSnapshot {
    const rings = [...this.rings.values()].map((r) => ({
      ringId: r.ringId,
      active: r.active,
      ...(r.startedAtMs !== undefined ? { startedAtMs: r.startedAtMs } : {}),
      ...(r.plan ? { plan: r.plan } : {}),
      sorties: r.sorties.map((s) => {
        const mission = this.sent.get(s);
        return mission ? { ...s, mission } : { ...s };
      }),
    }));
    return { version: 1, savedAtMs: this.o.time.nowMs(), rings };
  }

  /**
   * Takes back the patrols of the last run after a control restart (before any new
   * start). Scheduled sorties keep their times (those whose landing time has passed are
   * cancelled); sorties that were launching, flying or returning await their drone's
   * read-back (`readopt`), and until then nothing is sent to them and nothing is judged.
   */
  restore(snap: PatrolSnapshot): void {
    if ([...this.rings.values()].some((r) => r.active)) throw new Error('restore: patrols are already running');
    const now = this.o.time.nowMs();
    for (const saved of snap.rings) {
      if (!saved.active || !saved.plan || !this.rings.has(saved.ringId)) continue;
      const sorties: SortieState[] = [];
      const st: RingPatrolState = { ringId: saved.ringId, active: true, plan: saved.plan, sorties, ...(saved.startedAtMs !== undefined ? { startedAtMs: saved.startedAtMs } : {}) };
      this.rings.set(saved.ringId, st);
      this.meters.set(saved.ringId, new RevisitMeter());
      this.timers.set(saved.ringId, []);
      const ring: RingPlan = { ...saved.plan, sorties: [] };
      for (const { mission, ...rest } of saved.sorties) {
        const s: SortieState = { ...rest, commandIds: [...rest.commandIds] };
        sorties.push(s);
        if (s.status === 'scheduled') {
          if (s.landAtMs <= now) {
            s.status = 'cancelled';
            s.note = 'its time passed while control was down';
          } else this.scheduleLaunch(ring, s, s.launchAtMs - now);
        } else if (s.status === 'launching' || s.status === 'flying' || s.status === 'returning') {
          if (mission) this.sent.set(s, mission);
          this.awaiting.add(s);
          s.note = 'control restarted: awaiting the read-back of its mission';
        }
      }
      // Down longer than the whole plan: nothing left to fly or to re-adopt, so no patrol runs.
      if (!sorties.some((s) => s.status === 'scheduled' || this.awaiting.has(s))) st.active = false;
    }
    this.changed();
  }

  /** The sortie of a restored patrol awaiting this drone's read-back, if any. */
  awaitingSortie(droneId: string): SortieState | undefined {
    return [...this.awaiting].find((s) => s.droneId === droneId);
  }

  /**
   * Re-adopts a drone found in the air after a control restart, given the mission it
   * holds (downloaded). When it is the mission its awaiting sortie sent (by meaning,
   * plan-compare.ts) the sortie carries on as it was — nothing is sent, the planned turn
   * home is re-armed, battery and return decisions resume. Otherwise the sortie is ended
   * and the caller treats the drone as under manual control. Returns what was decided.
   */
  readopt(droneId: string, held: PlanItem[], autopilot: Autopilot): { adopted: true; ringId: RingId; slot: number } | { adopted: false; why: string } {
    const s = this.awaitingSortie(droneId);
    if (!s) return { adopted: false, why: 'no running patrol sortie was flying it when control stopped' };
    const st = [...this.rings.values()].find((r) => r.sorties.includes(s))!;
    const sent = this.sent.get(s);
    const diff = !sent ? { why: 'its sortie had no mission on record' } : sent.autopilot !== autopilot ? { why: `sent for ${sent.autopilot}, vehicle reports ${autopilot}` } : firstMismatch(sent.items, held);
    if (diff) {
      s.status = 'cancelled';
      s.note = `after a control restart the drone holds another mission (${'index' in diff ? `item ${diff.index}: ` : ''}${diff.why}): not re-adopted, nothing sent`;
      this.release(s);
      this.reliefNow(st, s);
      this.changed();
      return { adopted: false, why: s.note };
    }
    this.awaiting.delete(s);
    delete s.note;
    // In the air is how it was found; a returning sortie stays returning.
    s.airborneSeen = true;
    if (s.status === 'launching') s.status = 'flying';
    this.startedAt.set(s, this.o.time.nowMs());
    this.o.fleet.setTask(droneId, s.status === 'returning' ? { kind: 'returning' } : { kind: 'patrol', ringId: st.ringId });
    const drone = this.o.site.drones.find((d) => d.id === droneId)!;
    const zones = noFlyPolygons(this.o.site.noFlyZones, this.o.frame, this.opts.nfzMarginM);
    const mission = patrolMission({ ...st.plan!, sorties: [] }, s, drone.dock, zones, this.o.frame);
    this.missions.set(s, mission);
    this.listen(st.ringId, s, mission, autopilot);
    if (s.status === 'flying') this.armRecall(st.ringId, s);
    this.changed();
    return { adopted: true, ringId: st.ringId, slot: s.slot };
  }

  /**
   * A drone of an awaiting sortie came back on the ground (disarmed) after a control
   * restart: its sortie ended while control was down. Nothing is sent.
   */
  landedWhileAway(droneId: string): void {
    const s = this.awaitingSortie(droneId);
    if (!s) return;
    const st = [...this.rings.values()].find((r) => r.sorties.includes(s))!;
    const flew = s.status !== 'launching';
    s.status = flew ? 'done' : 'failed';
    if (flew) s.note = 'landed while control was down';
    else s.failure = 'control restarted during its launch; found on the ground';
    this.release(s);
    this.reliefNow(st, s);
    this.changed();
  }

  close(): void {
    for (const list of this.timers.values()) for (const t of list) t.cancel();
    for (const t of this.launchTimers.values()) t.cancel();
    for (const off of this.unsubscribe.values()) off();
    this.timers.clear();
    this.launchTimers.clear();
    this.unsubscribe.clear();
  }
}
