import type { Site } from '../../site/load.ts';
import { checkPayload, parseDeviceTopic, type SensorEvent } from '../../protocol/index.ts';
import type { Alarm } from '../alarms/alarm.ts';
import type { AlarmBook } from '../alarms/alarm-book.ts';
import type { DroneCommands, DroneRequest } from '../commands/drone-commands.ts';
import { rankResponders, DEFAULT_DISPATCH_RULES, type DispatchRules, type DroneTask } from '../dispatch/choose-responder.ts';
import type { LocalFrame } from '../geo/local-frame.ts';
import type { Bus } from '../mqtt/bus.ts';
import { distXy } from '../geo/local-frame.ts';
import { ARDUCOPTER_LIMITS, speedChange } from '../planning/lap-time.ts';
import type { AchievedSpeed } from './achieved-speed.ts';
import type { BroadcastService } from './broadcast-service.ts';
import { failureText, runSteps, waitFor } from './drone-steps.ts';
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

  constructor(private readonly o: DispatchServiceOptions) {
    this.rules = o.rules ?? DEFAULT_DISPATCH_RULES;
    this.eventIds = o.eventIds ?? new RecentEventIds(() => o.time.nowMs());
  }

  /** Listens for checkpoint sensor events on the broker. */
  async start(): Promise<void> {
    await this.o.bus?.subscribe('ringwatch/v1/sensor/+/event', (topic, payload) => {
      const t = parseDeviceTopic(topic);
      const check = checkPayload<SensorEvent>('sensor', 'event', payload);
      if (!t || !check.ok) return;
      // A resent or replayed event must not raise an alarm (and dispatch a drone) again.
      if (!this.eventIds.firstSighting(t.deviceId, check.value.id)) return;
      const change = this.o.alarms.fromSensorEvent(t.deviceId, check.value);
      if (!change?.ok) return;
      this.o.onAlarm?.(change.alarm);
      if (change.created) void this.dispatch(change.alarm.id, 'control');
    });
  }

  /** Picks and sends the best drone; resolves once the drone has been told (not once it arrived). */
  async dispatch(alarmId: string, issuer: string, opts: { warnNearby?: boolean } = {}): Promise<Alarm> {
    const alarm = this.o.alarms.get(alarmId);
    if (!alarm) throw new Error(`no alarm ${alarmId}`);
    const target = this.o.frame.toXy(alarm.position);
    const ranked = rankResponders(target, alarm.priority, this.candidates(), this.rules);
    const best = ranked[0];
    if (!best?.eligible) {
      alarm.noResponderReason = ranked.length === 0 ? 'no drones' : ranked.map((r) => `${r.droneId}: ${r.eligible ? 'ok' : r.reason}`).join(', ');
      this.o.onAlarm?.(alarm);
      return alarm;
    }
    const droneId = best.droneId;
    const prior = this.o.fleet.task(droneId);
    // A drone taken from another alarm goes back to what it did before that alarm.
    if (prior.kind !== 'alarm') this.previousTask.set(droneId, prior);
    this.o.fleet.setTask(droneId, { kind: 'alarm', alarmId: alarm.id, priority: alarm.priority });
    this.o.alarms.assign(alarm.id, { droneId, commandIds: [], dispatchedAtMs: this.o.time.nowMs(), etaS: Math.round(best.etaS * 10) / 10 });
    this.o.onAlarm?.(alarm);
    if (opts.warnNearby ?? this.o.warnNearbySpeakers ?? true) this.warnNearby(alarm, issuer);
    void this.fly(alarm, droneId, issuer);
    return alarm;
  }

  /** Dispatch candidates with the speed each really flies. */
  candidates() {
    return this.o.fleet.candidates(this.o.frame).map((c) => {
      const achieved = this.o.speeds?.achievedMps(c.id);
      return achieved === undefined ? c : { ...c, achievedSpeedMps: achieved };
    });
  }

  private async fly(alarm: Alarm, droneId: string, issuer: string): Promise<void> {
    const ring = this.o.site.rings.find((r) => r.id === alarm.ringId) ?? this.o.site.rings[this.o.site.rings.length - 1]!;
    const altitudeRelM = (ring.altitudeBandM.minRelM + ring.altitudeBandM.maxRelM) / 2;
    // Command the speed the ETA assumed: without it ArduCopter flies its default
    // WPNAV_SPEED (it resets the speed on entering GUIDED).
    const speedMps = this.o.site.drones.find((d) => d.id === droneId)!.maxSpeedMps;
    const goto: DroneRequest = { action: 'goto', latDeg: alarm.position.latDeg, lonDeg: alarm.position.lonDeg, altitudeRelM, speedMps };
    const startLeg = () => {
      const from = this.o.fleet.position(droneId);
      const distanceM = from ? distXy(this.o.frame.toXy(from), this.o.frame.toXy(alarm.position)) : 0;
      this.o.speeds?.startLeg(droneId, speedMps, distanceM, speedChange(0, speedMps, ARDUCOPTER_LIMITS).distM);
    };
    const track = (id: string) => {
      alarm.responder?.commandIds.push(id);
      this.o.onAlarm?.(alarm);
    };
    const fail = (why: string) => {
      alarm.noResponderReason = `${droneId}: ${why}`;
      this.o.fleet.setTask(droneId, this.previousTask.get(droneId) ?? { kind: 'docked' });
      this.o.onAlarm?.(alarm);
    };
    if (!this.o.fleet.airborne(droneId)) {
      const up = await runSteps(this.o.drones, droneId, [{ action: 'set_mode', mode: 'GUIDED' }, { action: 'arm' }, { action: 'takeoff', altitudeRelM }], issuer, track);
      if (!up.ok) return fail(failureText(up.failed));
      // The take-off ack means "accepted"; a go-to is only useful once it has left the ground.
      const climbM = Math.min(10, altitudeRelM / 2);
      const climbing = await waitFor(() => (this.o.fleet.telemetry(droneId)?.altRelM ?? 0) >= climbM, (60_000 / this.o.time.speed));
      if (!climbing) return fail(`did not climb to ${climbM} m after take-off`);
      startLeg();
      const r = await runSteps(this.o.drones, droneId, [goto], issuer, track);
      if (!r.ok) fail(failureText(r.failed));
      return;
    }
    startLeg();
    const r = await runSteps(this.o.drones, droneId, [{ action: 'set_mode', mode: 'GUIDED' }, goto], issuer, track);
    if (!r.ok) fail(failureText(r.failed));
  }

  /** Feed live positions: measures time to scene, then holds over the scene and speaks from the drone. */
  onPosition(droneId: string, p: { latDeg: number; lonDeg: number; groundSpeedMps?: number }): void {
    if (p.groundSpeedMps !== undefined) this.o.speeds?.sample(droneId, p.groundSpeedMps);
    const arrived = this.o.alarms.onDronePosition(droneId, p);
    if (!arrived) return;
    this.o.speeds?.endLeg(droneId);
    this.o.onAlarm?.(arrived);
    // A hold that keeps its altitude without a pilot (GUIDED hold), never ArduCopter's LOITER.
    const hold = this.o.drones.issue(droneId, { action: 'hold' }, 'control');
    arrived.responder?.commandIds.push(hold.id);
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
        r.alarm.responder!.commandIds.push(this.o.drones.issue(droneId, { action: 'rtl' }, username).id);
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
