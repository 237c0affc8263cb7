import type { FieldValue, TelemetryPoint } from '../points.ts';

/** InfluxQL-style durations: `12h`, `7d`, `104w`. */
export type Duration = string;

export interface RetentionConfig {
  /** Raw telemetry (positions and device state). Default 7d. */
  raw: Duration;
  /** Downsampled tracks. Default 90d. */
  track: Duration;
  /** Events, status, acks, ledger, audit. Default 730d (2 years). */
  long: Duration;
  /** Downsampling interval for tracks. Default 10s. */
  trackInterval: Duration;
}

/** Rows a query returns when it names no limit: the same cap for every backend. */
export const DEFAULT_ROW_LIMIT = 100_000;

export const DEFAULT_RETENTION: RetentionConfig = { raw: '7d', track: '90d', long: '730d', trackInterval: '10s' };

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function durationMs(d: Duration): number {
  const m = /^(\d+)(s|m|h|d|w)$/.exec(d);
  if (!m) throw new Error(`bad duration "${d}" (want e.g. 10s, 12h, 7d, 104w)`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

/** `partial` over the defaults, each duration checked: throws on one that does not parse. */
export function checkedRetention(partial: Partial<RetentionConfig> = {}): RetentionConfig {
  const retention = { ...DEFAULT_RETENTION, ...partial };
  for (const d of Object.values(retention)) durationMs(d);
  return retention;
}

/**
 * Which series a track query reads: the downsampled track once the window starts before
 * raw retention (those raw points are gone), the raw points otherwise.
 */
export function trackSource(w: TimeWindow, retention: RetentionConfig, nowMs: number): 'track' | 'raw' {
  return w.fromMs < nowMs - durationMs(retention.raw) ? 'track' : 'raw';
}

export interface TimeWindow {
  fromMs: number;
  /** Exclusive. */
  toMs: number;
}

/** Latest known state of one device, for the map. */
export interface DeviceState {
  deviceId: string;
  kind: string;
  site: string;
  /** Time of the latest telemetry point (the point's own time, not a query bound). */
  lastSeenMs: number;
  fields: Record<string, FieldValue>;
  status?: { state: string; tsMs: number; reason?: string };
}

export interface TrackPoint {
  tsMs: number;
  latDeg: number;
  lonDeg: number;
  altRelM?: number;
  altAmslM?: number;
  headingDeg?: number;
  groundSpeedMps?: number;
}

export interface TrackResult {
  points: TrackPoint[];
  /** True when the raw points exceeded the budget and were bucketed (last value per bucket). */
  decimated: boolean;
  /** Raw telemetry, or the downsampled `track` series when the window is older than raw retention. */
  source: 'raw' | 'track';
  /** Bucket width when decimated. */
  bucketMs?: number;
}

export interface PositionRow extends TrackPoint {
  deviceId: string;
  kind: string;
}

export interface EventRow {
  tsMs: number;
  id: string;
  deviceId: string;
  kind: string;
  type: string;
  severity: string;
  fields: Record<string, FieldValue>;
}

export interface RecordRow {
  tsMs: number;
  id: string;
  tags: Record<string, string>;
  /** The record as published (parsed from recordJson). */
  record: Record<string, unknown>;
}

export interface EventQuery {
  deviceId?: string;
  /** Only events at or above this severity (info < low < medium < high < critical). */
  minSeverity?: 'info' | 'low' | 'medium' | 'high' | 'critical';
  limit?: number;
}

export interface RetentionInfo {
  policies: { name: string; durationMs: number }[];
  /** Names of continuous queries (1.x) or tasks (2.x) doing the downsampling. */
  downsampling: string[];
}

/**
 * The one storage port. Both InfluxDB adapters implement it and run the same
 * contract suite (tests/telemetry/store-contract.ts).
 */
export interface TelemetryStore {
  readonly backend: 'v1' | 'v2' | 'memory';
  /** Creates database/buckets, retention and downsampling. Idempotent; applies changed durations. */
  init(): Promise<void>;
  /** Writes points; rejects with TelemetryError (retryable or not). Rewriting a point is harmless. */
  write(points: readonly TelemetryPoint[]): Promise<void>;
  ping(): Promise<boolean>;
  /** Re-runs downsampling over a window (for data that arrived after the CQ's window). */
  backfillTracks(window: TimeWindow): Promise<void>;
  latestState(): Promise<DeviceState[]>;
  track(deviceId: string, window: TimeWindow, maxPoints: number): Promise<TrackResult>;
  positions(window: TimeWindow, opts?: { limit?: number }): Promise<PositionRow[]>;
  events(window: TimeWindow, opts?: EventQuery): Promise<EventRow[]>;
  /** Events of severity high or critical. */
  alarms(window: TimeWindow, opts?: Omit<EventQuery, 'minSeverity'>): Promise<EventRow[]>;
  ledger(window: TimeWindow, opts?: { deviceId?: string; limit?: number }): Promise<RecordRow[]>;
  audit(window: TimeWindow, opts?: { actor?: string; limit?: number }): Promise<RecordRow[]>;
  /** Alarm changes published by the control service (raised, dispatched, on scene, resolved). */
  alarmRecords(window: TimeWindow, opts?: { limit?: number }): Promise<RecordRow[]>;
  /** Broadcasts as started and as finished, with the per-speaker report. */
  broadcastRecords(window: TimeWindow, opts?: { limit?: number }): Promise<RecordRow[]>;
  describeRetention(): Promise<RetentionInfo>;
  close(): Promise<void>;
}

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;

export function severitiesAtLeast(min: EventQuery['minSeverity']): string[] {
  const i = min ? SEVERITIES.indexOf(min) : 0;
  return SEVERITIES.slice(Math.max(0, i));
}

/** Track fields, in the order the queries select them. */
export const TRACK_FIELDS = ['latDeg', 'lonDeg', 'altRelM', 'altAmslM', 'headingDeg', 'groundSpeedMps'] as const;

/**
 * Bucket width that yields at most `maxPoints` epoch-aligned buckets over the window:
 * buckets touched ≤ span/width + 1, so width = ceil(span / (maxPoints - 1)).
 */
export function decimationBucketMs(window: TimeWindow, maxPoints: number): number {
  const span = Math.max(1, window.toMs - window.fromMs);
  return Math.max(1, Math.ceil(span / Math.max(1, maxPoints - 1)));
}

/** The tags each record measurement carries (the rest is in fields and `recordJson`). */
export const RECORD_TAGS: Record<'ledger' | 'audit' | 'alarm' | 'broadcast', string[]> = {
  ledger: ['site', 'deviceId', 'kind', 'action', 'state'],
  audit: ['site', 'action', 'outcome', 'role'],
  alarm: ['site', 'ringId', 'severity', 'state', 'source'],
  broadcast: ['site', 'state'],
};
