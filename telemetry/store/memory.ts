import { MEASUREMENT_RETENTION, nsToMs, type FieldValue, type Measurement, type RetentionClass, type TelemetryPoint } from '../points.ts';
import {
  decimationBucketMs,
  DEFAULT_ROW_LIMIT,
  DEFAULT_RETENTION,
  durationMs,
  trackSource,
  RECORD_TAGS,
  severitiesAtLeast,
  type DeviceState,
  type EventQuery,
  type EventRow,
  type PositionRow,
  type RecordRow,
  type RetentionConfig,
  type RetentionInfo,
  type TelemetryStore,
  type TimeWindow,
  type TrackPoint,
  type TrackResult,
} from './types.ts';
import { parseRecordJson, trackPointOf } from './rows.ts';


interface Stored {
  measurement: Measurement;
  tags: Record<string, string>;
  fields: Record<string, FieldValue>;
  timeNs: bigint;
  tsMs: number;
}

export interface MemoryStoreOptions {
  retention?: Partial<RetentionConfig>;
  /** The store's clock for retention (InfluxDB's `now()`); tests pin it. */
  nowMs?: () => number;
}

/**
 * A TelemetryStore in memory, for tests and demos that need history without influxd. It
 * passes the same contract suite as the InfluxDB adapters (tests/telemetry/store-contract.ts)
 * and mirrors their semantics where the contract is silent: point identity is
 * (measurement, tags, time) and a rewrite merges fields; rows come in time order;
 * retention is applied when reading (InfluxDB drops old shards, we just stop seeing
 * them); tracks older than raw retention are the downsampled series, computed here on
 * read instead of by a continuous query. Not for production: nothing is persisted.
 */
export class MemoryTelemetryStore implements TelemetryStore {
  readonly backend = 'memory' as const;
  private readonly points = new Map<string, Stored>();
  private readonly retention: RetentionConfig;
  private readonly nowMs: () => number;

  constructor(o: MemoryStoreOptions = {}) {
    this.retention = { ...DEFAULT_RETENTION, ...o.retention };
    this.nowMs = o.nowMs ?? Date.now;
  }

  async init(): Promise<void> {
    // Validates the durations as the InfluxDB adapters would when creating policies.
    for (const d of Object.values(this.retention)) durationMs(d);
  }

  async write(points: readonly TelemetryPoint[]): Promise<void> {
    for (const p of points) {
      const tagKey = Object.keys(p.tags).sort().map((k) => `${k}=${p.tags[k]}`).join(',');
      const key = `${p.measurement}|${tagKey}|${p.timeNs}`;
      const prev = this.points.get(key);
      // InfluxDB: the same series and time is the same point; later fields win.
      this.points.set(key, { measurement: p.measurement, tags: { ...p.tags }, fields: { ...prev?.fields, ...p.fields }, timeNs: BigInt(p.timeNs), tsMs: nsToMs(p.timeNs) });
    }
  }

  async ping(): Promise<boolean> {
    return true;
  }

  async backfillTracks(_window: TimeWindow): Promise<void> {
    // Tracks are computed on read; nothing to catch up.
  }

  async latestState(): Promise<DeviceState[]> {
    const out = new Map<string, DeviceState>();
    for (const p of this.select('telemetry', { fromMs: this.nowMs() - durationMs(this.retention.raw), toMs: Infinity })) {
      const id = p.tags['deviceId'] ?? '';
      out.set(id, { deviceId: id, kind: p.tags['kind'] ?? '', site: p.tags['site'] ?? '', lastSeenMs: p.tsMs, fields: { ...p.fields } });
    }
    for (const p of this.select('status', { fromMs: this.nowMs() - durationMs(this.retention.long), toMs: Infinity })) {
      const id = p.tags['deviceId'] ?? '';
      const dev = out.get(id) ?? { deviceId: id, kind: p.tags['kind'] ?? '', site: p.tags['site'] ?? '', lastSeenMs: 0, fields: {} };
      const reason = p.fields['reason'];
      dev.status = { state: String(p.fields['state']), tsMs: p.tsMs, ...(reason ? { reason: String(reason) } : {}) };
      out.set(id, dev);
    }
    return [...out.values()].sort((a, b) => a.deviceId.localeCompare(b.deviceId));
  }

  async track(deviceId: string, w: TimeWindow, maxPoints: number): Promise<TrackResult> {
    const source = trackSource(w, this.retention, this.nowMs());
    const useTrack = source === 'track';
    // The downsampled series lives under track retention, the raw points under raw.
    const raw = this.select('telemetry', w, useTrack ? 'track' : 'raw').filter((p) => p.tags['deviceId'] === deviceId);
    const rows = useTrack ? this.downsample(raw) : raw.map((p) => trackPointOf(p.tsMs, p.fields)).filter((p) => p !== undefined);
    if (rows.length <= maxPoints) return { points: rows, decimated: false, source };
    const bucketMs = decimationBucketMs(w, maxPoints);
    return { points: lastPerBucket(rows, bucketMs).slice(0, maxPoints), decimated: true, source, bucketMs };
  }

  async positions(w: TimeWindow, opts: { limit?: number } = {}): Promise<PositionRow[]> {
    const out: PositionRow[] = [];
    for (const p of this.select('telemetry', w)) {
      const t = trackPointOf(p.tsMs, p.fields);
      if (t) out.push({ ...t, deviceId: p.tags['deviceId'] ?? '', kind: p.tags['kind'] ?? '' });
    }
    return out.slice(0, opts.limit ?? DEFAULT_ROW_LIMIT);
  }

  async events(w: TimeWindow, opts: EventQuery = {}): Promise<EventRow[]> {
    // As the adapters: no severity condition at all unless one above `info` is asked for.
    const allowed = opts.minSeverity && opts.minSeverity !== 'info' ? new Set(severitiesAtLeast(opts.minSeverity)) : undefined;
    const rows: EventRow[] = [];
    for (const p of this.select('event', w)) {
      const row: Record<string, FieldValue> = { ...p.tags, ...p.fields };
      const { deviceId, kind, type, severity, site: _site, id, ...fields } = row;
      if (opts.deviceId && deviceId !== opts.deviceId) continue;
      if (allowed && !allowed.has(String(severity))) continue;
      rows.push({ tsMs: p.tsMs, id: String(id), deviceId: String(deviceId), kind: String(kind), type: String(type), severity: String(severity), fields });
    }
    return rows.slice(0, opts.limit ?? DEFAULT_ROW_LIMIT);
  }

  alarms(w: TimeWindow, opts: Omit<EventQuery, 'minSeverity'> = {}): Promise<EventRow[]> {
    return this.events(w, { ...opts, minSeverity: 'high' });
  }

  ledger(w: TimeWindow, opts: { deviceId?: string; limit?: number } = {}): Promise<RecordRow[]> {
    return this.records('ledger', w, opts.deviceId ? { deviceId: opts.deviceId } : {}, opts.limit);
  }

  audit(w: TimeWindow, opts: { actor?: string; limit?: number } = {}): Promise<RecordRow[]> {
    return this.records('audit', w, opts.actor ? { actor: opts.actor } : {}, opts.limit);
  }

  alarmRecords(w: TimeWindow, opts: { limit?: number } = {}): Promise<RecordRow[]> {
    return this.records('alarm', w, {}, opts.limit);
  }

  broadcastRecords(w: TimeWindow, opts: { limit?: number } = {}): Promise<RecordRow[]> {
    return this.records('broadcast', w, {}, opts.limit);
  }

  async describeRetention(): Promise<RetentionInfo> {
    return {
      policies: (['raw', 'track', 'long'] as const).map((name) => ({ name, durationMs: durationMs(this.retention[name]) })),
      downsampling: ['memory_track_on_read'],
    };
  }

  async close(): Promise<void> {
    this.points.clear();
  }

  /** Points of one measurement in the window and inside its retention, in time order. */
  private select(m: Measurement, w: TimeWindow, retention: RetentionClass = MEASUREMENT_RETENTION[m]): Stored[] {
    const keepFromMs = this.nowMs() - durationMs(this.retention[retention]);
    const out: Stored[] = [];
    for (const p of this.points.values()) {
      if (p.measurement === m && p.tsMs >= w.fromMs && p.tsMs < w.toMs && p.tsMs > keepFromMs) out.push(p);
    }
    return out.sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0));
  }

  private async records(m: keyof typeof RECORD_TAGS, w: TimeWindow, match: Record<string, string>, limit = DEFAULT_ROW_LIMIT): Promise<RecordRow[]> {
    const rows: RecordRow[] = [];
    for (const p of this.select(m, w)) {
      const row: Record<string, FieldValue> = { ...p.tags, ...p.fields };
      if (Object.entries(match).some(([k, v]) => row[k] !== v)) continue;
      const tags: Record<string, string> = {};
      for (const t of RECORD_TAGS[m]) if (typeof row[t] === 'string') tags[t] = row[t];
      rows.push({ tsMs: p.tsMs, id: String(row['id']), tags, record: parseRecordJson(row['recordJson']) });
    }
    return rows.slice(0, limit);
  }

  /** The `track` series as the InfluxDB continuous query builds it: per trackInterval, last of each field, mean speed. */
  private downsample(raw: Stored[]): TrackPoint[] {
    const stepMs = durationMs(this.retention.trackInterval);
    const buckets = new Map<number, Stored[]>();
    for (const p of raw) {
      if (p.tags['kind'] === 'sensor') continue;
      const b = Math.floor(p.tsMs / stepMs) * stepMs;
      buckets.set(b, [...(buckets.get(b) ?? []), p]);
    }
    const out: TrackPoint[] = [];
    for (const [b, ps] of [...buckets].sort((x, y) => x[0] - y[0])) {
      const fields: Record<string, FieldValue> = {};
      for (const p of ps) Object.assign(fields, p.fields);
      const speeds = ps.map((p) => p.fields['groundSpeedMps']).filter((v): v is number => typeof v === 'number');
      if (speeds.length) fields['groundSpeedMps'] = speeds.reduce((s, v) => s + v, 0) / speeds.length;
      const t = trackPointOf(b, fields);
      if (t) out.push(t);
    }
    return out;
  }
}

/** InfluxDB's `GROUP BY time(bucket) fill(none)` with `last()`: epoch-aligned buckets stamped at their start. */
function lastPerBucket(rows: TrackPoint[], bucketMs: number): TrackPoint[] {
  const out = new Map<number, TrackPoint>();
  for (const r of rows) {
    const b = Math.floor(r.tsMs / bucketMs) * bucketMs;
    out.set(b, { ...out.get(b), ...r, tsMs: b });
  }
  return [...out.values()];
}
