import type { Site } from '../../site/load.ts';
import type { SensorEvent } from '../../protocol/index.ts';
import type { Alarm } from '../alarms/alarm.ts';
import type { AlarmBook } from '../alarms/alarm-book.ts';
import type { DroneCommands, DroneRequest, IssuedCommand } from '../commands/drone-commands.ts';
import { rankResponders, DEFAULT_DISPATCH_RULES, type DispatchRules, type DroneTask, type Ranked } from '../dispatch/choose-responder.ts';
import type { Point } from '../../site/schema.ts';
import { GuardedFlight } from './guarded-flight.ts';
import { ringOf } from '../planning/plan.ts';
import { distanceM } from '../../site/geometry.ts';
import { responseSpeedMps } from '../coverage/reach.ts';
import { DEFAULT_PLAN_OPTIONS } from '../planning/types.ts';
import type { LocalFrame } from '../geo/local-frame.ts';
import type { Bus } from '../mqtt/bus.ts';
import { InboundRouter } from '../mqtt/inbound-router.ts';
import { ARDUCOPTER_LIMITS, speedChange } from '../planning/lap-time.ts';
import type { AchievedSpeed } from './achieved-speed.ts';
import type { BroadcastService } from './broadcast-service.ts';
import { failureText, runSteps } from './drone-steps.ts';
import type { FleetView } from './fleet-view.ts';
import { RecentEventIds } from '../gateway/events.ts';
import type { OpsTime } from './sim-time.ts';

export interface DispatchServiceOptions {
  site: Site;
  alarms: AlarmBook;
  fleet: FleetView;
  drones: DroneCommands;
  frame: LocalFrame;
  time: OpsTime;
  bus?: Bus;
  /** The control service's inbound MQTT router; one is made over `bus` when absent (tests). */
  inbound?: InboundRouter;
  broadcasts?: BroadcastService;
  rules?: DispatchRules;
  /** Play the ring's default warning on speakers near the alarm when dispatching. */
  warnNearbySpeakers?: boolean;
  /** Radius around the alarm whose fixed speakers play the warning. */
  warningRadiusM?: number;
  /** Alarm raised or changed: for the live stream and storage. */
  onAlarm?: (a: Alarm) => void;
  /** Speeds the drones really fly (fed by operations); ETAs are capped by them. */
  speeds?: AchievedSpeed;
  /** Whether the drone still flies a sortie of a running patrol on that ring (PatrolService). */
  patrolFlying?: (droneId: string, ringId: string) => boolean;
  /**
   * Event ids already acted on (see RecentEventIds); a repeat is dropped before it can
   * raise an alarm. Default: an in-memory window; operations may pass a persisted one.
   */
  eventIds?: Pick<RecentEventIds, 'firstSighting'>;
  /** No-fly checks and the fence; made from the site when absent. */
  guard?: GuardedFlight;
  /**
   * Why taking this drone off its patrol would leave the ring below its patrol minimum
   * (PatrolService.ringShortfall), if it would.
   */
  ringShortfall?: (droneId: string) => string | undefined;
  /**
   * A patrol drone was taken with the operator's confirmation, leaving its ring below
   * its patrol minimum (`why` names the alarm, who confirmed and the shortfall): the
   * patrol launches the slot's relief now (PatrolService.droneTaken).
   */
  onPatrolDroneTaken?: (droneId: string, why: string) => void;
  /** Where refused sensor events are logged (once per device). Default: console.warn. */
  log?: (line: string) => void;
}

/** Why a dispatch could not be made as asked: the API maps `code` to its status. */
export class DispatchRefused extends Error {
  constructor(
    readonly code: 'no_fly' | 'needs_confirmation' | 'no_responder' | 'not_found',
    message: string,
  ) {
    super(message);
  }
}

export interface DispatchOptions {
  warnNearby?: boolean;
  /** The operator accepts leaving a patrol ring below its minimum. */
  confirm?: boolean;
  /** An operator's choice of drone (reassign); still checked for battery and no-fly. */
  droneId?: string;
}

/**
 * Alarm dispatch: sensor events become alarms (AlarmBook rules); each new alarm sends
 * the best drone by ETA (FleetView's live state, ranked by choose-responder), guided
 * go-to and then a hold over the point; nearby speakers play the ring's default warning,
 * and the drone's own speaker once it is on scene. Resolving returns the drone to its
 * patrol (AUTO resumes the mission where it left it) or home.
 */
export class DispatchService {
  private readonly rules: DispatchRules;
  private readonly previousTask = new Map<string, DroneTask>();
  private readonly eventIds: Pick<RecentEventIds, 'firstSighting'>;
  readonly guard: GuardedFlight;
  /** Devices whose refused events were already logged (one line per device, then counted). */
  private readonly loggedRefusals = new Set<string>();
  /** Each flight's generation per drone: a flight replaced by a newer one stops sending. */
  private readonly flightGen = new Map<string, number>();

  constructor(private readonly o: DispatchServiceOptions) {
    this.rules = o.rules ?? DEFAULT_DISPATCH_RULES;
    this.eventIds = o.eventIds ?? new RecentEventIds(() => o.time.nowMs());
    this.guard = o.guard ?? new GuardedFlight({ site: o.site, frame: o.frame, fleet: o.fleet, drones: o.drones, nfzMarginM: DEFAULT_PLAN_OPTIONS.nfzMarginM });
  }

  /** Listens for checkpoint sensor events on the broker (through the control service's inbound router). */
  async start(): Promise<void> {
    const inbound = this.o.inbound ?? (this.o.bus ? new InboundRouter(this.o.bus) : undefined);
    await inbound?.on<SensorEvent>('sensor', 'event', (m) => {
      // A resent or replayed event must not raise an alarm (and dispatch a drone) again.
      if (!this.eventIds.firstSighting(m.deviceId, m.value.id)) return;
      const change = this.o.alarms.fromSensorEvent(m.deviceId, m.value);
      if (change && !change.ok) return this.refused(m.deviceId, change.reason);
      if (!change) return;
      this.o.onAlarm?.(change.alarm);
      // A refusal (no-fly target, no drone) is already on the alarm as its reason.
      if (change.created) void this.dispatch(change.alarm.id, 'control').catch(() => undefined);
    });
  }

  /**
   * Picks and sends the best drone; resolves once the drone has been told (not once it
   * arrived). Throws DispatchRefused when asked for something unsafe or unconfirmed
   * (`opts.droneId` / `opts.confirm` come from an operator); an automatic dispatch
   * that finds no acceptable drone leaves the alarm open with the reason instead.
   */
  async dispatch(alarmId: string, issuer: string, opts: DispatchOptions = {}): Promise<Alarm> {
    const alarm = this.o.alarms.get(alarmId);
    if (!alarm) throw new DispatchRefused('not_found', `no alarm ${alarmId}`);
    const zone = this.guard.targetCheck(alarm.position);
    if (!zone.ok) {
      alarm.noResponderReason = zone.message;
      alarm.noResponder = zone.zoneId ? { code: 'target_in_zone', zoneId: zone.zoneId } : { code: 'no_route' };
      this.o.alarms.note(alarm.id, `no drone sent: ${zone.message}`);
      this.o.onAlarm?.(alarm);
      throw new DispatchRefused('no_fly', zone.message);
    }
    const choice = this.choose(alarm.position, alarm.priority, opts, alarm.id);
    if (!choice.ok) {
      alarm.noResponderReason = choice.message;
      alarm.noResponder = { code: choice.code === 'needs_confirmation' ? 'needs_confirmation' : 'no_responder', ...(opts.droneId ? { droneId: opts.droneId } : {}) };
      this.o.onAlarm?.(alarm);
      if (choice.code === 'needs_confirmation' || opts.droneId) throw new DispatchRefused(choice.code, choice.message);
      return alarm;
    }
    const best = choice.best;
    const droneId = best.droneId;
    const prior = this.o.fleet.task(droneId);
    // A drone taken from a lower-priority alarm: that alarm no longer names it, says why, and looks for another drone.
    if (prior.kind === 'alarm' && prior.alarmId !== alarm.id) {
      const old = this.o.alarms.unassign(prior.alarmId, `responder ${droneId} taken by ${opts.droneId ? `${issuer} for` : 'higher-priority'} alarm ${alarm.id}`, issuer, { code: 'responder_taken', droneId, alarmId: alarm.id });
      if (old) {
        this.o.onAlarm?.(old);
        queueMicrotask(() => void this.dispatch(old.id, 'control').catch(() => undefined));
      }
    }
    // The alarm's previous responder (a reassignment) is released like on resolve.
    const previous = alarm.responder?.droneId;
    if (previous && previous !== droneId) this.release(alarm, previous, issuer, `replaced by ${droneId}`);
    // Asked while the drone is still on its patrol: would taking it leave the ring short?
    const shortfall = best.task === 'patrol' ? this.o.ringShortfall?.(droneId) : undefined;
    // A drone taken from another alarm goes back to what it did before that alarm.
    if (prior.kind !== 'alarm') this.previousTask.set(droneId, prior);
    this.o.fleet.setTask(droneId, { kind: 'alarm', alarmId: alarm.id, priority: alarm.priority });
    const why = opts.droneId ? 'reassigned' : 'dispatched';
    this.o.alarms.assign(alarm.id, { droneId, commandIds: [], dispatchedAtMs: this.o.time.nowMs(), etaS: Math.round(best.etaS * 10) / 10 }, why, issuer);
    if (best.task === 'patrol' && opts.confirm) this.o.alarms.note(alarm.id, `${droneId} taken off its patrol with the operator's confirmation`, issuer);
    // The hole it leaves is filled at once where a docked drone can take the slot.
    if (shortfall) this.o.onPatrolDroneTaken?.(droneId, `taken for alarm ${alarm.id} with ${issuer}'s confirmation (${shortfall})`);
    this.o.onAlarm?.(alarm);
    if (opts.warnNearby ?? this.o.warnNearbySpeakers ?? true) this.warnNearby(alarm, issuer);
    void this.fly(alarm, droneId, issuer);
    return alarm;
  }

  /**
   * The responder for a point, weighing the hole it leaves (choose-responder tiers),
   * never a drone whose way there cannot avoid a no-fly zone, never one that leaves a
   * patrol ring below its minimum unless `confirm`. Pure over live state; sends nothing.
   */
  choose(
    position: Point,
    priority: number,
    opts: DispatchOptions = {},
    forAlarmId?: string,
  ): { ok: true; best: Extract<Ranked, { eligible: true }>; ranked: Ranked[] } | { ok: false; code: 'needs_confirmation' | 'no_responder' | 'no_fly'; message: string; ranked: Ranked[] } {
    const target = this.o.frame.toXy(position);
    const ring = this.o.site.rings.find((r) => r.id === ringOf(this.o.site, position)) ?? this.o.site.rings[this.o.site.rings.length - 1]!;
    let cands = this.candidates().filter((c) => !(c.task.kind === 'alarm' && c.task.alarmId === forAlarmId));
    if (opts.droneId) {
      cands = cands.filter((c) => c.id === opts.droneId);
      // An operator's reassignment may take a drone from any alarm.
      cands = cands.map((c) => (c.task.kind === 'alarm' ? { ...c, task: { ...c.task, priority: -1 } } : c));
      if (cands.length === 0) return { ok: false, code: 'no_responder', message: `no drone ${opts.droneId} on this site`, ranked: [] };
    }
    const ctx = { targetS: ring.responseTargetS, ...(this.o.ringShortfall ? { ringShortfall: this.o.ringShortfall } : {}), ...(opts.confirm ? { confirm: true } : {}) };
    const ranked = rankResponders(target, priority, cands, this.rules, ctx);
    for (const r of ranked) {
      if (!r.eligible) continue;
      // A drone that cannot get there without entering a zone is not a responder.
      const from = this.guard.origin(r.droneId);
      const way = this.guard.route(from, position);
      if (!way.ok) continue;
      // The ETA was for the straight line; a detour adds its extra length at the speed flown.
      const straightM = distanceM(from, position);
      const c = cands.find((x) => x.id === r.droneId)!;
      const extraS = Math.max(0, way.lengthM - straightM) / responseSpeedMps(c);
      return { ok: true, best: extraS > 0 ? { ...r, etaS: r.etaS + extraS } : r, ranked };
    }
    const short = ranked.filter((r): r is Extract<Ranked, { eligible: false }> => !r.eligible && r.reason === 'ring_minimum');
    const explain = ranked.length === 0 ? 'no drones' : ranked.map((r) => `${r.droneId}: ${r.eligible ? 'no clear way round the no-fly zones' : (r.detail ?? r.reason)}`).join(', ');
    if (short.length > 0) return { ok: false, code: 'needs_confirmation', message: `only drones on patrol could go and ${short.map((r) => r.detail).join('; ')}: confirm to take one (${explain})`, ranked };
    return { ok: false, code: 'no_responder', message: explain, ranked };
  }

  /**
   * An operator gives the alarm another drone (or the best other one): the previous
   * responder is released, a drone taken from another alarm leaves that alarm truthfully
   * without a responder, and a patrol drone needs `confirm` when its ring would drop
   * below its minimum.
   */
  async reassign(alarmId: string, username: string, opts: { droneId?: string; confirm?: boolean } = {}): Promise<Alarm> {
    const alarm = this.o.alarms.get(alarmId);
    if (!alarm) throw new DispatchRefused('not_found', `no alarm ${alarmId}`);
    if (alarm.state === 'resolved') throw new DispatchRefused('no_responder', `alarm ${alarmId} is resolved`);
    if (opts.droneId && alarm.responder?.droneId === opts.droneId) return alarm;
    return this.dispatch(alarmId, username, { ...opts, warnNearby: false });
  }

  /**
   * A released responder's RTL settles on the outcome (landed and disarmed at home): one
   * that ends otherwise is noted on the alarm, which names where its drone went.
   */
  private homeward(alarmId: string, droneId: string, cmd: IssuedCommand): void {
    void cmd.done.then((rec) => {
      if (rec.state === 'succeeded' || rec.state === 'cancelled') return;
      this.o.alarms.note(alarmId, `${droneId} sent home but not back: ${failureText(rec)}`);
      const a = this.o.alarms.get(alarmId);
      if (a) this.o.onAlarm?.(a);
    });
  }

  /** Releases a responder no longer serving the alarm: back to its patrol or home when airborne, nothing on the ground. */
  private release(alarm: Alarm, droneId: string, issuer: string, why: string): void {
    this.flightGen.set(droneId, (this.flightGen.get(droneId) ?? 0) + 1);
    const back = this.previousTask.get(droneId) ?? { kind: 'docked' };
    this.previousTask.delete(droneId);
    this.o.speeds?.endLeg(droneId);
    let what: string;
    if (!this.o.fleet.airborne(droneId)) {
      this.o.fleet.setTask(droneId, { kind: 'docked' });
      what = 'on the ground: nothing sent';
    } else if (back.kind === 'patrol' && (this.o.patrolFlying?.(droneId, back.ringId) ?? false)) {
      this.o.fleet.setTask(droneId, back);
      what = `back to the ${back.ringId} patrol`;
      this.o.drones.issue(droneId, { action: 'set_mode', mode: 'AUTO' }, issuer);
    } else {
      this.o.fleet.setTask(droneId, { kind: 'returning' });
      what = 'sent home';
      this.homeward(alarm.id, droneId, this.o.drones.issue(droneId, { action: 'rtl' }, issuer));
    }
    if (alarm.responder?.droneId === droneId) alarm.responder.release = `${why}: ${what}`;
    this.o.alarms.note(alarm.id, `${droneId} released (${why}): ${what}`, issuer);
  }

  /** A sensor event that was not believed: counted by the alarm book, logged once per device. */
  private refused(deviceId: string, reason: string): void {
    if (this.loggedRefusals.has(deviceId)) return;
    if (this.loggedRefusals.size < 10_000) this.loggedRefusals.add(deviceId);
    (this.o.log ?? ((l: string) => console.warn(l)))(`control: sensor event refused (${reason}); further refusals from ${deviceId} are only counted`);
  }

  /**
   * Takes back the alarms of an earlier run: unresolved ones keep their responder, whose
   * task is the alarm again, so no other dispatch takes it and resolve releases it.
   */
  restore(alarms: Alarm[]): void {
    this.o.alarms.restore(alarms);
    for (const a of alarms) {
      if (a.state === 'resolved' || !a.responder) continue;
      this.o.fleet.setTask(a.responder.droneId, { kind: 'alarm', alarmId: a.id, priority: a.priority });
      this.o.alarms.note(a.id, `control restarted; ${a.responder.droneId} still named as responder`);
    }
  }

  /** Dispatch candidates with the speed each really flies. */
  candidates() {
    return this.o.fleet.candidates(this.o.frame).map((c) => {
      const achieved = this.o.speeds?.achievedMps(c.id);
      return achieved === undefined ? c : { ...c, achievedSpeedMps: achieved };
    });
  }

  private async fly(alarm: Alarm, droneId: string, issuer: string): Promise<void> {
    const gen = (this.flightGen.get(droneId) ?? 0) + 1;
    this.flightGen.set(droneId, gen);
    const current = () => this.flightGen.get(droneId) === gen && alarm.responder?.droneId === droneId && alarm.state !== 'resolved';
    const ring = this.o.site.rings.find((r) => r.id === alarm.ringId) ?? this.o.site.rings[this.o.site.rings.length - 1]!;
    const altitudeRelM = (ring.altitudeBandM.minRelM + ring.altitudeBandM.maxRelM) / 2;
    // Command the speed the ETA assumed: without it ArduCopter flies its default
    // WPNAV_SPEED (it resets the speed on entering GUIDED).
    const speedMps = this.o.site.drones.find((d) => d.id === droneId)!.maxSpeedMps;
    const startLeg = (distanceM: number) => {
      this.o.speeds?.startLeg(droneId, speedMps, distanceM, speedChange(0, speedMps, ARDUCOPTER_LIMITS).distM);
    };
    const track = (id: string) => {
      alarm.responder?.commandIds.push(id);
      this.o.onAlarm?.(alarm);
    };
    const fail = (why: string) => {
      if (!current()) return;
      alarm.noResponderReason = `${droneId}: ${why}`;
      alarm.noResponder = { code: 'responder_failed', droneId };
      this.o.alarms.note(alarm.id, `${droneId} failed: ${why}`);
      this.o.fleet.setTask(droneId, this.previousTask.get(droneId) ?? { kind: 'docked' });
      this.o.onAlarm?.(alarm);
    };
    const steps = async (reqs: DroneRequest[]) => {
      if (!current()) return { ok: false as const, why: 'replaced' };
      const r = await runSteps(this.o.drones, droneId, reqs, issuer, track);
      return r.ok ? { ok: true as const } : { ok: false as const, why: failureText(r.failed) };
    };
    if (!this.o.fleet.airborne(droneId)) {
      // Every sortie flies with the site fence, read back and enabled (issue 14 item 1).
      if (this.guard.fence.problems.length > 0) return fail(`fence: ${this.guard.fence.problems.join('; ')}`);
      const up = await steps([...this.guard.fenceSteps(), { action: 'set_mode', mode: 'GUIDED' }, { action: 'arm' }, { action: 'takeoff', altitudeRelM }]);
      if (!up.ok) return fail(up.why);
    } else {
      // In the air: a patrol drone already flies with the fence; any other gets it now.
      const task = this.previousTask.get(droneId);
      const pre: DroneRequest[] = task?.kind === 'patrol' ? [] : this.guard.fenceSteps();
      const r = await steps([...pre, { action: 'set_mode', mode: 'GUIDED' }]);
      if (!r.ok) return fail(r.why);
    }
    // From where the drone really is now, round every no-fly zone.
    const way = this.guard.route(this.guard.origin(droneId), alarm.position);
    if (!way.ok) return fail(way.message);
    if (way.zonesAvoided.length > 0) this.o.alarms.note(alarm.id, `${droneId} routed round ${way.zonesAvoided.join(', ')} in ${way.legs.length} legs (${Math.round(way.lengthM)} m)`);
    startLeg(way.lengthM);
    if (!current()) return;
    const flown = await this.guard.flyLegs(droneId, way.legs, altitudeRelM, speedMps, issuer, track);
    if (!flown.ok) return fail(failureText(flown.failed));
    if (!current()) return;
    // At the point: a hold that keeps its altitude without a pilot (GUIDED hold), never
    // ArduCopter's LOITER. The go-to already stopped it there; the hold pins it.
    track(this.o.drones.issue(droneId, { action: 'hold' }, 'control').id);
  }

  /** Feed live positions: measures time to scene, then holds over the scene and speaks from the drone. */
  onPosition(droneId: string, p: { latDeg: number; lonDeg: number; groundSpeedMps?: number }): void {
    if (p.groundSpeedMps !== undefined) this.o.speeds?.sample(droneId, p.groundSpeedMps);
    const arrived = this.o.alarms.onDronePosition(droneId, p);
    if (!arrived) return;
    this.o.speeds?.endLeg(droneId);
    this.o.onAlarm?.(arrived);
    // The hold follows the go-to's arrival (fly()); sending it here, 40 m out, would stop
    // the drone short of the point and end its go-to as replaced.
    const spk = this.o.site.drones.find((d) => d.id === droneId)?.speaker;
    if (spk && this.o.broadcasts) {
      try {
        this.o.broadcasts.send({ target: { kind: 'devices', deviceIds: [spk.id] }, source: { kind: 'clip', clipId: this.ringWarning(arrived) }, volumePct: 100, loop: false, priority: arrived.priority }, 'control');
      } catch {
        // A drone speaker that cannot be reached does not stop the response.
      }
    }
  }

  /**
   * Resolves the alarm and releases its drone: back to its patrol only if it is in the
   * air and that patrol still runs (AUTO resumes the mission where it left it), home if
   * it is in the air otherwise, and nothing at all when it is on the ground: a command
   * to a landed drone is at best refused and at worst a take-off nobody asked for.
   */
  resolve(alarmId: string, username: string): Alarm | { error: string } {
    const r = this.o.alarms.resolve(alarmId, username);
    if (!r.ok) return { error: r.reason };
    const droneId = r.alarm.responder?.droneId;
    const task = droneId ? this.o.fleet.task(droneId) : undefined;
    if (droneId) this.flightGen.set(droneId, (this.flightGen.get(droneId) ?? 0) + 1);
    if (droneId && task?.kind === 'alarm' && task.alarmId === r.alarm.id) {
      const back = this.previousTask.get(droneId) ?? { kind: 'docked' };
      this.previousTask.delete(droneId);
      this.o.speeds?.endLeg(droneId);
      if (!this.o.fleet.airborne(droneId)) {
        this.o.fleet.setTask(droneId, { kind: 'docked' });
        r.alarm.responder!.release = 'on the ground: nothing sent';
      } else if (back.kind === 'patrol' && (this.o.patrolFlying?.(droneId, back.ringId) ?? false)) {
        this.o.fleet.setTask(droneId, back);
        r.alarm.responder!.release = `back to the ${back.ringId} patrol`;
        r.alarm.responder!.commandIds.push(this.o.drones.issue(droneId, { action: 'set_mode', mode: 'AUTO' }, username).id);
      } else {
        this.o.fleet.setTask(droneId, { kind: 'returning' });
        r.alarm.responder!.release = 'sent home';
        const home = this.o.drones.issue(droneId, { action: 'rtl' }, username);
        r.alarm.responder!.commandIds.push(home.id);
        this.homeward(r.alarm.id, droneId, home);
      }
    }
    this.o.onAlarm?.(r.alarm);
    return r.alarm;
  }

  private ringWarning(a: Alarm): string {
    return (this.o.site.rings.find((r) => r.id === a.ringId) ?? this.o.site.rings[this.o.site.rings.length - 1]!).defaultWarning;
  }

  private warnNearby(alarm: Alarm, issuer: string): void {
    if (!this.o.broadcasts) return;
    try {
      const rec = this.o.broadcasts.send(
        {
          target: { kind: 'radius', center: alarm.position, radiusM: this.o.warningRadiusM ?? 400 },
          source: { kind: 'clip', clipId: this.ringWarning(alarm) },
          volumePct: 90,
          loop: false,
          priority: alarm.priority,
        },
        issuer,
      );
      alarm.broadcastId = rec.id;
    } catch {
      // No speaker near the alarm: the drone still goes.
    }
  }
}
