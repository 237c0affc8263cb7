import { randomUUID } from 'node:crypto';
import type { Site } from '../../site/load.ts';
import type { Point } from '../../site/schema.ts';
import { SEVERITY_RANK, type Severity } from '../../protocol/schemas/common.ts';
import type { SensorEvent } from '../../protocol/schemas/sensor.ts';
import { distanceM } from '../../site/geometry.ts';
import { ringOf } from '../planning/plan.ts';
import type { Clock } from '../timeouts.ts';
import { noteHistory, SEVERITY_PRIORITY, type Alarm, type AlarmResponder, type NoResponder, type VehicleAlarmType } from './alarm.ts';

export interface AlarmRules {
  /** Sensor events below this severity are logged, not alarmed. */
  minSeverity: Severity;
  /** A repeat of the same event type at the same checkpoint within this window joins the open alarm. */
  dedupWindowMs: number;
  /** A responder within this distance of the alarm is on scene. */
  onSceneRadiusM: number;
  /**
   * How far from its own checkpoint a sensor may place an event. A camera may see up the
   * road; a position farther than this is not what the sensor can know (issue 14 item 2:
   * one sensor's credentials placed events in the hospital no-fly zone).
   */
  maxEventOffsetM: number;
}

export const DEFAULT_ALARM_RULES: AlarmRules = { minSeverity: 'medium', dedupWindowMs: 120_000, onSceneRadiusM: 40, maxEventOffsetM: 200 };

/** Why a sensor event was not believed. */
export type SensorRefusal = 'unknown_sensor' | 'wrong_checkpoint' | 'position_far';

export type AlarmChange = { ok: true; alarm: Alarm; created?: boolean } | { ok: false; reason: string; refusal?: SensorRefusal };

/**
 * The alarm list and its rules: which sensor events become alarms, merging of
 * repeats, acknowledge/resolve, and time-to-scene measured against the ring's target.
 * Pure apart from id generation: the clock is injected and nothing here does I/O.
 */
export class AlarmBook {
  private readonly alarms = new Map<string, Alarm>();
  /** Each sensor's own checkpoint, from the site file: the only place a sensor may speak for. */
  private readonly sensorHome = new Map<string, Site['checkpoints'][number]>();
  belowThreshold = 0;
  /** Sensor events refused as untrustworthy, by reason. */
  readonly refused: Record<SensorRefusal, number> = { unknown_sensor: 0, wrong_checkpoint: 0, position_far: 0 };

  constructor(
    private readonly site: Site,
    private readonly clock: Clock,
    readonly rules: AlarmRules = DEFAULT_ALARM_RULES,
  ) {
    for (const c of site.checkpoints) for (const s of c.sensors) this.sensorHome.set(s.id, c);
  }

  /**
   * Turns a checkpoint sensor's event into a new or merged alarm, or nothing when below
   * threshold. `deviceId` is the publisher's authenticated identity (the broker lets a
   * device publish only under its own id): the alarm's checkpoint, ring and position come
   * from that sensor's site entry, never from what the payload claims. A payload naming
   * another checkpoint, or placing the event farther than `maxEventOffsetM` from the
   * sensor's own, is refused and counted.
   */
  fromSensorEvent(deviceId: string, ev: SensorEvent): AlarmChange | undefined {
    const checkpoint = this.sensorHome.get(deviceId);
    if (!checkpoint) return this.refuse('unknown_sensor', `sensor ${deviceId} is not on this site`);
    if (ev.checkpointId !== checkpoint.id) {
      return this.refuse('wrong_checkpoint', `sensor ${deviceId} belongs to ${checkpoint.id} but event ${ev.id} names ${ev.checkpointId}`);
    }
    let position: Point = checkpoint.position;
    if (ev.latDeg !== undefined && ev.lonDeg !== undefined) {
      const offM = distanceM({ latDeg: ev.latDeg, lonDeg: ev.lonDeg }, checkpoint.position);
      if (!(offM <= this.rules.maxEventOffsetM)) {
        return this.refuse('position_far', `event ${ev.id} from ${deviceId} is placed ${Math.round(offM)} m from ${checkpoint.id} (at most ${this.rules.maxEventOffsetM} m)`);
      }
      position = { latDeg: ev.latDeg, lonDeg: ev.lonDeg };
    }
    if (SEVERITY_RANK[ev.severity] < SEVERITY_RANK[this.rules.minSeverity]) {
      this.belowThreshold++;
      return undefined;
    }
    const now = this.clock.nowMs();
    const same = [...this.alarms.values()].find(
      (a) => a.state !== 'resolved' && a.source.kind === 'sensor' && a.source.checkpointId === ev.checkpointId && a.source.type === ev.type && now - a.lastEventAtMs <= this.rules.dedupWindowMs,
    );
    if (same) return { ok: true, alarm: this.merge(same, ev.severity, `event ${ev.id} from ${deviceId}`) };
    return this.add({
      source: { kind: 'sensor', deviceId, checkpointId: checkpoint.id, eventId: ev.id, type: ev.type },
      severity: ev.severity,
      position,
    });
  }

  private refuse(refusal: SensorRefusal, reason: string): AlarmChange {
    this.refused[refusal]++;
    return { ok: false, refusal, reason };
  }

  private merge(a: Alarm, severity: Severity, what: string): Alarm {
    const now = this.clock.nowMs();
    a.eventCount++;
    a.lastEventAtMs = now;
    if (SEVERITY_RANK[severity] > SEVERITY_RANK[a.severity]) {
      a.severity = severity;
      a.priority = SEVERITY_PRIORITY[severity];
    }
    noteHistory(a, now, `repeated: ${what}`);
    return a;
  }

  /**
   * An alarm from a drone's own report (low battery, link lost, failsafe, fence breach,
   * unplanned landing, mission aborted), with the drone as its source. A repeat of the
   * same type from the same drone joins its open alarm rather than piling up.
   */
  fromVehicle(droneId: string, type: VehicleAlarmType, severity: Severity, text: string, position: Point): { alarm: Alarm; created: boolean } {
    const same = [...this.alarms.values()].find((a) => a.state !== 'resolved' && a.source.kind === 'vehicle' && a.source.droneId === droneId && a.source.type === type);
    if (same) return { alarm: this.merge(same, severity, text), created: false };
    return { alarm: this.add({ source: { kind: 'vehicle', droneId, type, text: text.slice(0, 200) }, severity, position }).alarm, created: true };
  }

  /** Open vehicle alarms of this drone (for the patrol and the map). */
  openVehicleAlarms(droneId: string): Alarm[] {
    return [...this.alarms.values()].filter((a) => a.state !== 'resolved' && a.source.kind === 'vehicle' && a.source.droneId === droneId);
  }

  /**
   * Takes back alarms kept by an earlier run (the alarm file). Ids already present are
   * left alone. Times are the stored ones: time to scene keeps counting from the raise.
   */
  restore(alarms: Alarm[]): void {
    for (const a of alarms) if (!this.alarms.has(a.id)) this.alarms.set(a.id, a);
  }

  /** An operator's dispatch to a clicked point is an alarm too, so it is tracked the same way. */
  raiseManual(position: Point, username: string, note?: string, severity: Severity = 'high'): Alarm {
    return this.add({ source: { kind: 'manual', username, ...(note ? { note } : {}) }, severity, position }).alarm;
  }

  private add(a: Pick<Alarm, 'source' | 'severity' | 'position'>): { ok: true; alarm: Alarm; created: true } {
    const now = this.clock.nowMs();
    const alarm: Alarm = {
      id: randomUUID(),
      ...a,
      priority: SEVERITY_PRIORITY[a.severity],
      ringId: ringOf(this.site, a.position) ?? 'outside',
      state: 'open',
      raisedAtMs: now,
      eventCount: 1,
      lastEventAtMs: now,
      history: [],
    };
    noteHistory(alarm, now, `raised (${describeSource(alarm)})`);
    this.alarms.set(alarm.id, alarm);
    return { ok: true, alarm, created: true };
  }

  acknowledge(id: string, username: string): AlarmChange {
    const a = this.alarms.get(id);
    if (!a) return { ok: false, reason: `no alarm ${id}` };
    if (a.state !== 'open') return { ok: false, reason: `alarm ${id} is ${a.state}` };
    a.state = 'acknowledged';
    a.ackedAtMs = this.clock.nowMs();
    a.ackedBy = username;
    noteHistory(a, a.ackedAtMs, 'acknowledged', username);
    return { ok: true, alarm: a };
  }

  resolve(id: string, username: string): AlarmChange {
    const a = this.alarms.get(id);
    if (!a) return { ok: false, reason: `no alarm ${id}` };
    if (a.state === 'resolved') return { ok: false, reason: `alarm ${id} is already resolved` };
    a.state = 'resolved';
    a.resolvedAtMs = this.clock.nowMs();
    a.resolvedBy = username;
    noteHistory(a, a.resolvedAtMs, 'resolved', username);
    return { ok: true, alarm: a };
  }

  /** The ring's response target for an alarm (outside every ring: the outer ring's). */
  targetS(a: Alarm): number {
    const ring = this.site.rings.find((r) => r.id === a.ringId) ?? this.site.rings[this.site.rings.length - 1]!;
    return ring.responseTargetS;
  }

  /**
   * Names the alarm's responder. A responder it had before is kept in
   * `previousResponders`, so the alarm never names a drone that no longer serves it.
   */
  assign(id: string, responder: Omit<AlarmResponder, 'targetS'>, why = 'dispatched', by?: string): Alarm | undefined {
    const a = this.alarms.get(id);
    if (!a) return undefined;
    if (a.responder) (a.previousResponders ??= []).push(a.responder);
    a.responder = { ...responder, targetS: this.targetS(a) };
    delete a.noResponderReason;
    delete a.noResponder;
    noteHistory(a, this.clock.nowMs(), `${why}: ${responder.droneId}`, by);
    return a;
  }

  /** The alarm loses its responder (taken by a more urgent alarm, a failure): it says why and names none. */
  unassign(id: string, why: string, by?: string, code?: NoResponder): Alarm | undefined {
    const a = this.alarms.get(id);
    if (!a?.responder) return a;
    (a.previousResponders ??= []).push({ ...a.responder, release: why });
    delete a.responder;
    a.noResponderReason = why;
    if (code) a.noResponder = code;
    else delete a.noResponder;
    noteHistory(a, this.clock.nowMs(), why, by);
    return a;
  }

  /** Appends a line to the alarm's history. */
  note(id: string, what: string, by?: string): void {
    const a = this.alarms.get(id);
    if (a) noteHistory(a, this.clock.nowMs(), what, by);
  }

  /**
   * Feeds a drone position; returns the alarm whose responder just reached the scene.
   * Time to scene runs from when the alarm was raised, which is what the public feels.
   */
  onDronePosition(droneId: string, p: Point): Alarm | undefined {
    for (const a of this.alarms.values()) {
      const r = a.responder;
      if (!r || r.droneId !== droneId || r.onSceneAtMs !== undefined || a.state === 'resolved') continue;
      if (distanceM(p, a.position) > this.rules.onSceneRadiusM) continue;
      r.onSceneAtMs = this.clock.nowMs();
      r.timeToSceneS = (r.onSceneAtMs - a.raisedAtMs) / 1000;
      r.withinTarget = r.timeToSceneS <= r.targetS;
      noteHistory(a, r.onSceneAtMs, `${droneId} on scene after ${r.timeToSceneS.toFixed(0)} s`);
      return a;
    }
    return undefined;
  }

  get(id: string): Alarm | undefined {
    return this.alarms.get(id);
  }

  list(state: 'open' | 'all' = 'all'): Alarm[] {
    const all = [...this.alarms.values()].sort((a, b) => b.raisedAtMs - a.raisedAtMs);
    return state === 'open' ? all.filter((a) => a.state !== 'resolved') : all;
  }
}

function describeSource(a: Alarm): string {
  const s = a.source;
  if (s.kind === 'sensor') return `${s.type} from ${s.deviceId} at ${s.checkpointId}`;
  if (s.kind === 'manual') return `by ${s.username}${s.note ? `: ${s.note}` : ''}`;
  return `${s.type} on ${s.droneId}: ${s.text}`;
}
