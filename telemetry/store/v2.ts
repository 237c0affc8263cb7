import { HttpError, InfluxDB, Point } from '@influxdata/influxdb-client';
import { storeErrorFromStatus, TelemetryError } from '../errors.ts';
import { MEASUREMENT_RETENTION, TRACK_MEASUREMENT, type FieldValue, type TelemetryPoint } from '../points.ts';
import { describeV2, ensureV2Schema, requester, type V2Names } from './v2-admin.ts';
import {
  checkedRetention,
  decimationBucketMs,
  DEFAULT_ROW_LIMIT,
  severitiesAtLeast,
  trackSource,
  TRACK_FIELDS,
  type DeviceState,
  type EventQuery,
  type EventRow,
  type PositionRow,
  type RecordRow,
  type RetentionConfig,
  type RetentionInfo,
  type TelemetryStore,
  type TimeWindow,
  type TrackResult,
  RECORD_TAGS,
} from './types.ts';
import { parseRecordJson, trackPointOf } from './rows.ts';

export interface InfluxV2Options {
  url: string;
  token: string;
  org: string;
  /** Bucket name prefix: `<prefix>-raw`, `<prefix>-track`, `<prefix>-long`. Default `ringwatch`. */
  bucketPrefix?: string;
  retention?: Partial<RetentionConfig>;
  /** Create/update buckets and the downsampling task at init (needs an all-access token). */
  manageSchema?: boolean;
  timeoutMs?: number;
}

const META = new Set(['result', 'table', '_start', '_stop', '_time', '_measurement']);

/** Flux string literal. */
function fstr(s: string): string {
  return JSON.stringify(s);
}

function fluxTime(ms: number): string {
  return new Date(Math.trunc(ms)).toISOString();
}

/**
 * InfluxDB 2.x / Cloud adapter on @influxdata/influxdb-client: line protocol to
 * /api/v2/write (ns precision), Flux to /api/v2/query. 3.x accepts the writes through
 * its v2 write API but has no Flux; queries there need the 1.x-compatible adapter.
 */
export class InfluxV2Store implements TelemetryStore {
  readonly backend = 'v2' as const;
  readonly retention: RetentionConfig;
  readonly names: V2Names;
  private readonly influx: InfluxDB;

  constructor(private readonly opts: InfluxV2Options) {
    this.retention = checkedRetention(opts.retention);
    const p = opts.bucketPrefix ?? 'ringwatch';
    this.names = { org: opts.org, raw: `${p}-raw`, track: `${p}-track`, long: `${p}-long`, task: `${p}-track-${this.retention.trackInterval}` };
    this.influx = new InfluxDB({ url: opts.url, token: opts.token, timeout: opts.timeoutMs ?? 15_000 });
  }

  private bucket(cls: 'raw' | 'track' | 'long'): string {
    return this.names[cls];
  }

  async init(): Promise<void> {
    if (this.opts.manageSchema === false) return;
    try {
      await ensureV2Schema(requester(this.influx), this.names, this.retention);
    } catch (err) {
      throw wrap(err, 'schema setup');
    }
  }

  async write(points: readonly TelemetryPoint[]): Promise<void> {
    const byBucket = new Map<string, string[]>();
    for (const p of points) {
      const b = this.bucket(MEASUREMENT_RETENTION[p.measurement]);
      let arr = byBucket.get(b);
      if (!arr) byBucket.set(b, (arr = []));
      const line = toPoint(p).toLineProtocol();
      if (line) arr.push(line);
    }
    try {
      await Promise.all(
        [...byBucket].map(([bucket, lines]) =>
          this.influx.transport.request(
            `/api/v2/write?org=${encodeURIComponent(this.opts.org)}&bucket=${encodeURIComponent(bucket)}&precision=ns`,
            lines.join('\n'),
            { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' } },
          ),
        ),
      );
    } catch (err) {
      throw wrap(err, 'write');
    }
  }

  async ping(): Promise<boolean> {
    try {
      const res = await fetch(`${this.opts.url.replace(/\/$/, '')}/ping`, { signal: AbortSignal.timeout(2000) });
      return res.status === 204;
    } catch {
      return false;
    }
  }

  async backfillTracks(w: TimeWindow): Promise<void> {
    const fields = TRACK_FIELDS.map((f) => `r._field == "${f}"`).join(' or ');
    await this.rows(`from(bucket: ${fstr(this.names.raw)})
  |> range(start: ${fluxTime(w.fromMs)}, stop: ${fluxTime(w.toMs)})
  |> filter(fn: (r) => r._measurement == "telemetry" and r.kind != "sensor" and (${fields}))
  |> aggregateWindow(every: ${this.retention.trackInterval}, fn: last, createEmpty: false, timeSrc: "_start")
  |> set(key: "_measurement", value: "track")
  |> to(bucket: ${fstr(this.names.track)}, org: ${fstr(this.opts.org)})
  |> limit(n: 1)`);
  }

  async latestState(): Promise<DeviceState[]> {
    const [tel, st] = await Promise.all([
      this.rows(`from(bucket: ${fstr(this.names.raw)})
  |> range(start: -${this.retention.raw})
  |> filter(fn: (r) => r._measurement == "telemetry")
  |> last()
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valuesColumn: "_value")`),
      this.rows(`from(bucket: ${fstr(this.names.long)})
  |> range(start: -${this.retention.long})
  |> filter(fn: (r) => r._measurement == "status")
  |> last()
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valuesColumn: "_value")`),
    ]);
    const out = new Map<string, DeviceState>();
    // last() runs per field; a field missing from the newest point yields an older row.
    // The newest row's own _time is "last seen"; older rows only fill missing fields.
    for (const r of tel.sort((a, b) => timeOf(b) - timeOf(a))) {
      const id = String(r['deviceId']);
      const fields = fieldsOf(r, ['deviceId', 'kind', 'site']);
      const dev = out.get(id);
      if (!dev) out.set(id, { deviceId: id, kind: String(r['kind']), site: String(r['site']), lastSeenMs: timeOf(r), fields });
      else dev.fields = { ...fields, ...dev.fields };
    }
    for (const r of st.sort((a, b) => timeOf(b) - timeOf(a))) {
      const id = String(r['deviceId']);
      const dev = out.get(id) ?? { deviceId: id, kind: String(r['kind']), site: String(r['site']), lastSeenMs: 0, fields: {} };
      if (dev.status) continue;
      dev.status = { state: String(r['state']), tsMs: timeOf(r), ...(r['reason'] ? { reason: String(r['reason']) } : {}) };
      out.set(id, dev);
    }
    return [...out.values()].sort((a, b) => a.deviceId.localeCompare(b.deviceId));
  }

  async track(deviceId: string, w: TimeWindow, maxPoints: number): Promise<TrackResult> {
    const source = trackSource(w, this.retention, Date.now());
    const useTrack = source === 'track';
    const base = `from(bucket: ${fstr(useTrack ? this.names.track : this.names.raw)})
  |> range(start: ${fluxTime(w.fromMs)}, stop: ${fluxTime(w.toMs)})
  |> filter(fn: (r) => r._measurement == ${fstr(useTrack ? TRACK_MEASUREMENT : 'telemetry')} and r.deviceId == ${fstr(deviceId)})`;
    const fields = TRACK_FIELDS.map((f) => `r._field == "${f}"`).join(' or ');
    const counted = await this.rows(`${base}
  |> filter(fn: (r) => r._field == "latDeg")
  |> count()`);
    const n = counted.reduce((s, r) => s + Number(r['_value'] ?? 0), 0);
    if (n <= maxPoints) {
      const rows = await this.rows(`${base}
  |> filter(fn: (r) => ${fields})
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valuesColumn: "_value")
  |> group()
  |> sort(columns: ["_time"])`);
      return { points: rows.flatMap((r) => trackPointOf(timeOf(r), r) ?? []), decimated: false, source };
    }
    const bucketMs = decimationBucketMs(w, maxPoints);
    const rows = await this.rows(`${base}
  |> filter(fn: (r) => ${fields})
  |> aggregateWindow(every: ${bucketMs}ms, fn: last, createEmpty: false, timeSrc: "_start")
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valuesColumn: "_value")
  |> group()
  |> sort(columns: ["_time"])`);
    return { points: rows.flatMap((r) => trackPointOf(timeOf(r), r) ?? []).slice(0, maxPoints), decimated: true, source, bucketMs };
  }

  async positions(w: TimeWindow, opts: { limit?: number } = {}): Promise<PositionRow[]> {
    const fields = TRACK_FIELDS.map((f) => `r._field == "${f}"`).join(' or ');
    const rows = await this.rows(`from(bucket: ${fstr(this.names.raw)})
  |> range(start: ${fluxTime(w.fromMs)}, stop: ${fluxTime(w.toMs)})
  |> filter(fn: (r) => r._measurement == "telemetry" and (${fields}))
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valuesColumn: "_value")
  |> group()
  |> sort(columns: ["_time"])
  |> limit(n: ${opts.limit ?? DEFAULT_ROW_LIMIT})`);
    return rows.flatMap((r) => {
      const p = trackPointOf(timeOf(r), r);
      return p ? [{ ...p, deviceId: String(r['deviceId']), kind: String(r['kind']) }] : [];
    });
  }

  async events(w: TimeWindow, opts: EventQuery = {}): Promise<EventRow[]> {
    const conds = ['r._measurement == "event"'];
    if (opts.deviceId) conds.push(`r.deviceId == ${fstr(opts.deviceId)}`);
    if (opts.minSeverity && opts.minSeverity !== 'info') {
      conds.push(`(${severitiesAtLeast(opts.minSeverity).map((s) => `r.severity == ${fstr(s)}`).join(' or ')})`);
    }
    const rows = await this.rows(`from(bucket: ${fstr(this.names.long)})
  |> range(start: ${fluxTime(w.fromMs)}, stop: ${fluxTime(w.toMs)})
  |> filter(fn: (r) => ${conds.join(' and ')})
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valuesColumn: "_value")
  |> group()
  |> sort(columns: ["_time"])
  |> limit(n: ${opts.limit ?? DEFAULT_ROW_LIMIT})`);
    return rows.map((r) => ({
      tsMs: timeOf(r),
      id: String(r['id']),
      deviceId: String(r['deviceId']),
      kind: String(r['kind']),
      type: String(r['type']),
      severity: String(r['severity']),
      fields: fieldsOf(r, ['deviceId', 'kind', 'site', 'type', 'severity', 'id']),
    }));
  }

  alarms(w: TimeWindow, opts: Omit<EventQuery, 'minSeverity'> = {}): Promise<EventRow[]> {
    return this.events(w, { ...opts, minSeverity: 'high' });
  }

  ledger(w: TimeWindow, opts: { deviceId?: string; limit?: number } = {}): Promise<RecordRow[]> {
    return this.records('ledger', w, opts.deviceId ? `r.deviceId == ${fstr(opts.deviceId)}` : undefined, opts.limit, undefined);
  }

  audit(w: TimeWindow, opts: { actor?: string; limit?: number } = {}): Promise<RecordRow[]> {
    // actor is a field, so it is filtered after the pivot.
    return this.records('audit', w, undefined, opts.limit, opts.actor ? `r.actor == ${fstr(opts.actor)}` : undefined);
  }

  alarmRecords(w: TimeWindow, opts: { limit?: number } = {}): Promise<RecordRow[]> {
    return this.records('alarm', w, undefined, opts.limit, undefined);
  }

  broadcastRecords(w: TimeWindow, opts: { limit?: number } = {}): Promise<RecordRow[]> {
    return this.records('broadcast', w, undefined, opts.limit, undefined);
  }

  private async records(m: keyof typeof RECORD_TAGS, w: TimeWindow, tagCond: string | undefined, limit = DEFAULT_ROW_LIMIT, fieldCond: string | undefined): Promise<RecordRow[]> {
    const rows = await this.rows(`from(bucket: ${fstr(this.names.long)})
  |> range(start: ${fluxTime(w.fromMs)}, stop: ${fluxTime(w.toMs)})
  |> filter(fn: (r) => r._measurement == ${fstr(m)}${tagCond ? ` and ${tagCond}` : ''})
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valuesColumn: "_value")${fieldCond ? `\n  |> filter(fn: (r) => ${fieldCond})` : ''}
  |> group()
  |> sort(columns: ["_time"])
  |> limit(n: ${limit})`);
    const tagNames = RECORD_TAGS[m];
    return rows.map((r) => {
      const tags: Record<string, string> = {};
      for (const t of tagNames) if (typeof r[t] === 'string' && r[t] !== '') tags[t] = r[t];
      return { tsMs: timeOf(r), id: String(r['id']), tags, record: parseRecordJson(r['recordJson']) };
    });
  }

  async describeRetention(): Promise<RetentionInfo> {
    try {
      return await describeV2(requester(this.influx), this.names);
    } catch (err) {
      throw wrap(err, 'describe');
    }
  }

  private async rows(flux: string): Promise<Record<string, unknown>[]> {
    try {
      return await this.influx.getQueryApi(this.opts.org).collectRows<Record<string, unknown>>(flux);
    } catch (err) {
      const e = wrap(err, 'query');
      throw new TelemetryError('TEL_STORE_QUERY', e.message, { cause: err, ...(e.status ? { status: e.status } : {}) });
    }
  }

  async close(): Promise<void> {
    // No pooled connections are held between requests.
  }
}

export function toPoint(p: TelemetryPoint): Point {
  const pt = new Point(p.measurement);
  for (const [k, v] of Object.entries(p.tags)) pt.tag(k, v);
  for (const [k, v] of Object.entries(p.fields)) {
    if (typeof v === 'number') pt.floatField(k, v);
    else if (typeof v === 'boolean') pt.booleanField(k, v);
    else pt.stringField(k, v);
  }
  return pt.timestamp(p.timeNs);
}

function timeOf(r: Record<string, unknown>): number {
  return Date.parse(String(r['_time']));
}

function fieldsOf(r: Record<string, unknown>, tags: string[]): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  const skip = new Set([...tags, ...META]);
  for (const [k, v] of Object.entries(r)) {
    if (skip.has(k) || v === null || v === undefined || v === '') continue;
    if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') out[k] = v;
  }
  return out;
}

function wrap(err: unknown, what: string): TelemetryError {
  const status = err instanceof HttpError ? err.statusCode : undefined;
  return storeErrorFromStatus(status, `InfluxDB ${what} failed: ${(err as Error).message}`, err);
}
