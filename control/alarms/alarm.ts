import type { Point, RingId } from '../../site/schema.ts';
import type { Severity } from '../../protocol/schemas/common.ts';
import type { SensorEventType } from '../../protocol/schemas/sensor.ts';

export type AlarmState = 'open' | 'acknowledged' | 'resolved';

/** What a drone itself reports that needs an operator (issue 14 item 5). */
export const VEHICLE_ALARM_TYPES = ['low_battery', 'link_lost', 'failsafe', 'fence_breach', 'unplanned_landing', 'mission_aborted'] as const;
export type VehicleAlarmType = (typeof VEHICLE_ALARM_TYPES)[number];

export type AlarmSource =
  | { kind: 'sensor'; deviceId: string; checkpointId: string; eventId: string; type: SensorEventType }
  | { kind: 'manual'; username: string; note?: string }
  /** Raised from a drone's own reports (battery, link, failsafe, fence, landing, mission). */
  | { kind: 'vehicle'; droneId: string; type: VehicleAlarmType; text: string };

/** One line of an alarm's history, for the operator and for the record kept across restarts. */
export interface AlarmHistoryEntry {
  tsMs: number;
  what: string;
  by?: string;
}

export interface AlarmResponder {
  droneId: string;
  commandIds: string[];
  dispatchedAtMs: number;
  /**
   * The estimate the drone was chosen on: seconds from dispatch to the scene at the speed
   * it really flies (the command, capped by what it achieved), ramps and launch included.
   */
  etaS?: number;
  /** When the drone was first within the on-scene radius, from its own telemetry. */
  onSceneAtMs?: number;
  timeToSceneS?: number;
  /** The ring's response target the time is judged against. */
  targetS: number;
  withinTarget?: boolean;
  /** What became of the drone when the alarm was resolved (back to patrol, home, nothing sent). */
  release?: string;
}

export interface Alarm {
  id: string;
  source: AlarmSource;
  severity: Severity;
  /** 0-100, from severity; a drone on an alarm is only taken by a higher priority. */
  priority: number;
  ringId: RingId | 'outside';
  position: Point;
  state: AlarmState;
  raisedAtMs: number;
  /** Repeated events merged into this alarm within the dedup window. */
  eventCount: number;
  lastEventAtMs: number;
  ackedAtMs?: number;
  ackedBy?: string;
  resolvedAtMs?: number;
  resolvedBy?: string;
  responder?: AlarmResponder;
  broadcastId?: string;
  /** Why no drone went, when none could: in words (English, for logs and API readers)… */
  noResponderReason?: string;
  /** …and as a code with what it names, so a console can say it in its own language. */
  noResponder?: NoResponder;
  /** Responders this alarm had before the current one (reassigned or taken), newest last. */
  previousResponders?: AlarmResponder[];
  /** What happened to the alarm, oldest first (bounded: MAX_ALARM_HISTORY). */
  history?: AlarmHistoryEntry[];
}

/**
 * Why an alarm has no responder, by kind: the target in a no-fly zone or no way round
 * one; only patrolling drones could go and the operator must confirm; no drone could go
 * at all; the responder failed on the way; or it was taken by another alarm.
 */
export interface NoResponder {
  code: 'target_in_zone' | 'no_route' | 'needs_confirmation' | 'no_responder' | 'responder_failed' | 'responder_taken';
  droneId?: string;
  /** The site's no-fly zone (`target_in_zone`). */
  zoneId?: string;
  /** The alarm that took the responder (`responder_taken`). */
  alarmId?: string;
}

/** History lines kept per alarm: a flapping sensor must not grow one alarm without bound. */
export const MAX_ALARM_HISTORY = 100;

/** Appends a history line (dropping the oldest past the bound). Mutates the alarm. */
export function noteHistory(a: Alarm, tsMs: number, what: string, by?: string): void {
  const h = (a.history ??= []);
  h.push(by ? { tsMs, what, by } : { tsMs, what });
  if (h.length > MAX_ALARM_HISTORY) h.splice(0, h.length - MAX_ALARM_HISTORY);
}

export const SEVERITY_PRIORITY: Record<Severity, number> = { info: 10, low: 30, medium: 50, high: 70, critical: 90 };
