import type { Point, RingId } from '../../site/schema.ts';
import type { Severity } from '../../protocol/schemas/common.ts';
import type { SensorEventType } from '../../protocol/schemas/sensor.ts';

export type AlarmState = 'open' | 'acknowledged' | 'resolved';

export type AlarmSource =
  | { kind: 'sensor'; deviceId: string; checkpointId: string; eventId: string; type: SensorEventType }
  | { kind: 'manual'; username: string; note?: string };

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
  /** Why no drone went, when none could. */
  noResponderReason?: string;
}

export const SEVERITY_PRIORITY: Record<Severity, number> = { info: 10, low: 30, medium: 50, high: 70, critical: 90 };
