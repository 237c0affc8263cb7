import { randomUUID } from 'node:crypto';
import type { Site } from '../../site/load.ts';
import type { Point } from '../../site/schema.ts';
import { SEVERITY_RANK, type Severity } from '../../protocol/schemas/common.ts';
import type { SensorEvent } from '../../protocol/schemas/sensor.ts';
import { distanceM } from '../../site/geometry.ts';
import { ringOf } from '../planning/plan.ts';
import type { Clock } from '../timeouts.ts';
import { SEVERITY_PRIORITY, type Alarm, type AlarmResponder } from './alarm.ts';

export interface AlarmRules {
  /** Sensor events below this severity are logged, not alarmed. */
  minSeverity: Severity;
  /** A repeat of the same event type at the same checkpoint within this window joins the open alarm. */
  dedupWindowMs: number;
  /** A responder within this distance of the alarm is on scene. */
  onSceneRadiusM: number;
}

export const DEFAULT_ALARM_RULES: AlarmRules = { minSeverity: 'medium', dedupWindowMs: 120_000, onSceneRadiusM: 40 };

export type AlarmChange = { ok: true; alarm: Alarm; created?: boolean } | { ok: false; reason: string };

/**
 * The alarm list and its rules: which sensor events become alarms, merging of
 * repeats, acknowledge/resolve, and time-to-scene measured against the ring's target.
 * Pure apart from id generation: the clock is injected and nothing here does I/O.
 */
export class AlarmBook {
  private readonly alarms = new Map<string, Alarm>();
  belowThreshold = 0;

  constructor(
    private readonly site: Site,
    private readonly clock: Clock,
    readonly rules: AlarmRules = DEFAULT_ALARM_RULES,
  ) {}

  /** Turns a checkpoint sensor's event into a new or merged alarm, or nothing when below threshold. */
  fromSensorEvent(deviceId: string, ev: SensorEvent): AlarmChange | undefined {
    if (SEVERITY_RANK[ev.severity] < SEVERITY_RANK[this.rules.minSeverity]) {
      this.belowThreshold++;
      return undefined;
    }
    const checkpoint = this.site.checkpoints.find((c) => c.id === ev.checkpointId);
    if (!checkpoint) return { ok: false, reason: `event ${ev.id} names unknown checkpoint ${ev.checkpointId}` };
    const now = this.clock.nowMs();
    const same = [...this.alarms.values()].find(
      (a) => a.state !== 'resolved' && a.source.kind === 'sensor' && a.source.checkpointId === ev.checkpointId && a.source.type === ev.type && now - a.lastEventAtMs <= this.rules.dedupWindowMs,
    );
    if (same) {
      same.eventCount++;
      same.lastEventAtMs = now;
      if (SEVERITY_RANK[ev.severity] > SEVERITY_RANK[same.severity]) {
        same.severity = ev.severity;
        same.priority = SEVERITY_PRIORITY[ev.severity];
      }
      return { ok: true, alarm: same };
    }
    const position = ev.latDeg !== undefined && ev.lonDeg !== undefined ? { latDeg: ev.latDeg, lonDeg: ev.lonDeg } : checkpoint.position;
    return this.add({
      source: { kind: 'sensor', deviceId, checkpointId: ev.checkpointId, eventId: ev.id, type: ev.type },
      severity: ev.severity,
      position,
    });
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
    };
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
    return { ok: true, alarm: a };
  }

  resolve(id: string, username: string): AlarmChange {
    const a = this.alarms.get(id);
    if (!a) return { ok: false, reason: `no alarm ${id}` };
    if (a.state === 'resolved') return { ok: false, reason: `alarm ${id} is already resolved` };
    a.state = 'resolved';
    a.resolvedAtMs = this.clock.nowMs();
    a.resolvedBy = username;
    return { ok: true, alarm: a };
  }

  /** The ring's response target for an alarm (outside every ring: the outer ring's). */
  targetS(a: Alarm): number {
    const ring = this.site.rings.find((r) => r.id === a.ringId) ?? this.site.rings[this.site.rings.length - 1]!;
    return ring.responseTargetS;
  }

  assign(id: string, responder: Omit<AlarmResponder, 'targetS'>): Alarm | undefined {
    const a = this.alarms.get(id);
    if (!a) return undefined;
    a.responder = { ...responder, targetS: this.targetS(a) };
    return a;
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
