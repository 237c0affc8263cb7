import { InfluxDB, type IPoint } from 'influx';
import { storeErrorFromStatus, TelemetryError } from '../errors.ts';
import { MEASUREMENT_RETENTION, TRACK_MEASUREMENT, type FieldValue, type TelemetryPoint } from '../points.ts';
import { ident, lit, seriesRows, timeClause, type RawResult } from './influxql.ts';
import { parseRecordJson, trackPointOf } from './rows.ts';
import {
  checkedRetention,
  decimationBucketMs,
  DEFAULT_ROW_LIMIT,
  durationMs,
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
  type TrackPoint,
  type TrackResult,
  RECORD_TAGS,
} from './types.ts';

export interface InfluxV1Options {
  /** e.g. http://127.0.0.1:8086 */
  url: string;
  database?: string;
  username?: string;
  password?: string;
  retention?: Partial<RetentionConfig>;
  requestTimeoutMs?: number;
}

export const CQ_NAME = 'cq_track';

/** InfluxDB 1.x adapter on the `influx` package: database + three retention policies + one CQ. */
export class InfluxV1Store implements TelemetryStore {
  readonly backend = 'v1' as const;
  readonly database: string;
  readonly retention: RetentionConfig;
  private readonly influx: InfluxDB;

  constructor(opts: InfluxV1Options) {
    const u = new URL(opts.url);
    this.database = opts.database ?? 'ringwatch';
    this.retention = checkedRetention(opts.retention);
    this.influx = new InfluxDB({
      host: u.hostname,
      port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)),
      protocol: u.protocol === 'https:' ? 'https' : 'http',
      database: this.database,
      username: opts.username,
      password: opts.password,
      // Our writer owns retries and backoff; the pool's own would hide outages from it.
      pool: { maxRetries: 0, requestTimeout: opts.requestTimeoutMs ?? 15_000 },
    });
  }

  private rp(cls: keyof RetentionConfig): string {
    return `${ident(this.database)}.${ident(cls)}`;
  }

  private cqSelect(): string {
    const f = (name: string, fn = 'last') => `${fn}(${ident(name)}) AS ${ident(name)}`;
    const sel = [...TRACK_FIELDS.filter((x) => x !== 'groundSpeedMps').map((x) => f(x)), f('groundSpeedMps', 'mean'), f('batteryPct')];
    return `SELECT ${sel.join(', ')} INTO ${this.rp('track')}.${ident(TRACK_MEASUREMENT)} FROM ${this.rp('raw')}.${ident('telemetry')} WHERE "kind" != 'sensor'`;
  }

  private cqQuery(): string {
    return `${this.cqSelect()} GROUP BY time(${this.retention.trackInterval}), *`;
  }

  async init(): Promise<void> {
    await this.exec(`CREATE DATABASE ${ident(this.database)}`);
    const existing = new Map((await this.showRetention()).map((p) => [p.name, p.durationMs]));
    for (const cls of ['raw', 'track', 'long'] as const) {
      const dur = this.retention[cls];
      const isDefault = cls === 'raw' ? ' DEFAULT' : '';
      if (!existing.has(cls)) {
        await this.exec(`CREATE RETENTION POLICY ${ident(cls)} ON ${ident(this.database)} DURATION ${dur} REPLICATION 1${isDefault}`);
      } else if (existing.get(cls) !== durationMs(dur)) {
        await this.exec(`ALTER RETENTION POLICY ${ident(cls)} ON ${ident(this.database)} DURATION ${dur}${isDefault}`);
      }
    }
    // A CQ cannot be altered; recreate it when its text differs (e.g. a new interval).
    const want = this.cqQuery();
    const cqs = await this.showCqs();
    const current = cqs.find((c) => c.name === CQ_NAME);
    if (current && !current.query.includes(`time(${this.retention.trackInterval})`)) {
      await this.exec(`DROP CONTINUOUS QUERY ${ident(CQ_NAME)} ON ${ident(this.database)}`);
    }
    if (!current || !current.query.includes(`time(${this.retention.trackInterval})`)) {
      // RESAMPLE FOR 2 intervals: a point that arrives a little late still lands in its bucket.
      const every = this.retention.trackInterval;
      const forD = `${2 * durationMs(every)}ms`;
      await this.exec(`CREATE CONTINUOUS QUERY ${ident(CQ_NAME)} ON ${ident(this.database)} RESAMPLE EVERY ${every} FOR ${forD} BEGIN ${want} END`);
    }
  }

  async write(points: readonly TelemetryPoint[]): Promise<void> {
    const byRp = new Map<string, IPoint[]>();
    for (const p of points) {
      const rp = MEASUREMENT_RETENTION[p.measurement];
      let arr = byRp.get(rp);
      if (!arr) byRp.set(rp, (arr = []));
      arr.push({ measurement: p.measurement, tags: p.tags, fields: p.fields, timestamp: p.timeNs });
    }
    try {
      await Promise.all([...byRp].map(([rp, pts]) => this.influx.writePoints(pts, { retentionPolicy: rp, precision: 'n' })));
    } catch (err) {
      throw wrapError(err, 'write');
    }
  }

  async ping(): Promise<boolean> {
    try {
      const hosts = await this.influx.ping(2000);
      return hosts.some((h) => h.online);
    } catch {
      return false;
    }
  }

  async backfillTracks(w: TimeWindow): Promise<void> {
    await this.exec(`${this.cqSelect()} AND ${timeClause(w)} GROUP BY time(${this.retention.trackInterval}), *`);
  }

  async latestState(): Promise<DeviceState[]> {
    // Not last(): with several selectors InfluxQL reports the query's lower time bound,
    // not the point's time. The newest raw row per series carries its own timestamp.
    const [tel, st] = await this.queryMany([
      `SELECT * FROM ${this.rp('raw')}."telemetry" WHERE time > now() - ${this.retention.raw} GROUP BY * ORDER BY time DESC LIMIT 1`,
      `SELECT * FROM ${this.rp('long')}."status" WHERE time > now() - ${this.retention.long} GROUP BY * ORDER BY time DESC LIMIT 1`,
    ]);
    const out = new Map<string, DeviceState>();
    for (const s of tel?.series ?? []) {
      const row = seriesRows(s)[0];
      if (!row) continue;
      const { time, ...fields } = row;
      const t = s.tags ?? {};
      out.set(t['deviceId'] ?? '', {
        deviceId: t['deviceId'] ?? '',
        kind: t['kind'] ?? '',
        site: t['site'] ?? '',
        lastSeenMs: Number(time),
        fields: fields as Record<string, FieldValue>,
      });
    }
    for (const s of st?.series ?? []) {
      const row = seriesRows(s)[0];
      const t = s.tags ?? {};
      if (!row) continue;
      const id = t['deviceId'] ?? '';
      const dev = out.get(id) ?? { deviceId: id, kind: t['kind'] ?? '', site: t['site'] ?? '', lastSeenMs: 0, fields: {} };
      dev.status = { state: String(row['state']), tsMs: Number(row['time']), ...(row['reason'] ? { reason: String(row['reason']) } : {}) };
      out.set(id, dev);
    }
    return [...out.values()].sort((a, b) => a.deviceId.localeCompare(b.deviceId));
  }

  async track(deviceId: string, w: TimeWindow, maxPoints: number): Promise<TrackResult> {
    const source = trackSource(w, this.retention, Date.now());
    const useTrack = source === 'track';
    const from = useTrack ? `${this.rp('track')}.${ident(TRACK_MEASUREMENT)}` : `${this.rp('raw')}."telemetry"`;
    const where = `WHERE "deviceId" = ${lit(deviceId)} AND ${timeClause(w)}`;
    const [count] = await this.queryMany([`SELECT count("latDeg") FROM ${from} ${where}`]);
    const n = Number(count?.series?.[0]?.values?.[0]?.[1] ?? 0);
    if (n <= maxPoints) {
      const [r] = await this.queryMany([`SELECT ${TRACK_FIELDS.map(ident).join(', ')} FROM ${from} ${where}`]);
      return { points: toTrack(r), decimated: false, source };
    }
    const bucketMs = decimationBucketMs(w, maxPoints);
    const sel = TRACK_FIELDS.map((f) => `last(${ident(f)}) AS ${ident(f)}`).join(', ');
    const [r] = await this.queryMany([`SELECT ${sel} FROM ${from} ${where} GROUP BY time(${bucketMs}ms) fill(none)`]);
    return { points: toTrack(r).slice(0, maxPoints), decimated: true, source, bucketMs };
  }

  async positions(w: TimeWindow, opts: { limit?: number } = {}): Promise<PositionRow[]> {
    const [r] = await this.queryMany([
      `SELECT ${TRACK_FIELDS.map(ident).join(', ')}, "deviceId", "kind" FROM ${this.rp('raw')}."telemetry" WHERE ${timeClause(w)} LIMIT ${opts.limit ?? DEFAULT_ROW_LIMIT}`,
    ]);
    return (r?.series ?? []).flatMap(seriesRows).flatMap((row) => {
      const p = trackPointOf(Number(row['time']), row);
      return p ? [{ ...p, deviceId: String(row['deviceId']), kind: String(row['kind']) }] : [];
    });
  }

  async events(w: TimeWindow, opts: EventQuery = {}): Promise<EventRow[]> {
    const conds = [timeClause(w)];
    if (opts.deviceId) conds.push(`"deviceId" = ${lit(opts.deviceId)}`);
    if (opts.minSeverity && opts.minSeverity !== 'info') {
      conds.push(`(${severitiesAtLeast(opts.minSeverity).map((s) => `"severity" = ${lit(s)}`).join(' OR ')})`);
    }
    const [r] = await this.queryMany([`SELECT * FROM ${this.rp('long')}."event" WHERE ${conds.join(' AND ')} LIMIT ${opts.limit ?? DEFAULT_ROW_LIMIT}`]);
    return (r?.series ?? []).flatMap(seriesRows).map((row) => {
      const { time, deviceId, kind, type, severity, site: _site, id, ...fields } = row;
      return {
        tsMs: Number(time),
        id: String(id),
        deviceId: String(deviceId),
        kind: String(kind),
        type: String(type),
        severity: String(severity),
        fields: fields as Record<string, FieldValue>,
      };
    });
  }

  alarms(w: TimeWindow, opts: Omit<EventQuery, 'minSeverity'> = {}): Promise<EventRow[]> {
    return this.events(w, { ...opts, minSeverity: 'high' });
  }

  async ledger(w: TimeWindow, opts: { deviceId?: string; limit?: number } = {}): Promise<RecordRow[]> {
    const extra = opts.deviceId ? ` AND "deviceId" = ${lit(opts.deviceId)}` : '';
    return this.records('ledger', w, extra, opts.limit);
  }

  async audit(w: TimeWindow, opts: { actor?: string; limit?: number } = {}): Promise<RecordRow[]> {
    const extra = opts.actor ? ` AND "actor" = ${lit(opts.actor)}` : '';
    return this.records('audit', w, extra, opts.limit);
  }

  alarmRecords(w: TimeWindow, opts: { limit?: number } = {}): Promise<RecordRow[]> {
    return this.records('alarm', w, '', opts.limit);
  }

  broadcastRecords(w: TimeWindow, opts: { limit?: number } = {}): Promise<RecordRow[]> {
    return this.records('broadcast', w, '', opts.limit);
  }

  private async records(m: keyof typeof RECORD_TAGS, w: TimeWindow, extra: string, limit = DEFAULT_ROW_LIMIT): Promise<RecordRow[]> {
    const [r] = await this.queryMany([`SELECT * FROM ${this.rp('long')}.${ident(m)} WHERE ${timeClause(w)}${extra} LIMIT ${limit}`]);
    const tagNames = RECORD_TAGS[m];
    return (r?.series ?? []).flatMap(seriesRows).map((row) => {
      const tags: Record<string, string> = {};
      for (const t of tagNames) if (typeof row[t] === 'string') tags[t] = row[t];
      return { tsMs: Number(row['time']), id: String(row['id']), tags, record: parseRecordJson(row['recordJson']) };
    });
  }

  async describeRetention(): Promise<RetentionInfo> {
    return { policies: await this.showRetention(), downsampling: (await this.showCqs()).map((c) => c.name) };
  }

  private async showRetention(): Promise<{ name: string; durationMs: number }[]> {
    const [r] = await this.queryMany([`SHOW RETENTION POLICIES ON ${ident(this.database)}`]);
    return (r?.series ?? []).flatMap(seriesRows).map((row) => ({ name: String(row['name']), durationMs: goDurationMs(String(row['duration'])) }));
  }

  private async showCqs(): Promise<{ name: string; query: string }[]> {
    const [r] = await this.queryMany(['SHOW CONTINUOUS QUERIES']);
    const s = (r?.series ?? []).find((x) => x.name === this.database);
    return s ? seriesRows(s).map((row) => ({ name: String(row['name']), query: String(row['query']) })) : [];
  }

  private async exec(q: string): Promise<void> {
    await this.queryMany([q], 'POST');
  }

  /** Runs statements in one request with epoch=ms; a statement error becomes TEL_STORE_QUERY. */
  private async queryMany(qs: string[], method: 'GET' | 'POST' = 'GET'): Promise<RawResult[]> {
    let res: { results?: RawResult[]; error?: string };
    try {
      res = (await this.influx.queryRaw(qs.join(';'), { precision: 'ms', database: this.database, method })) as typeof res;
    } catch (err) {
      throw wrapError(err, 'query');
    }
    const results = res.results ?? [];
    const bad = results.find((r) => r.error) ?? (res.error ? { error: res.error } : undefined);
    if (bad) throw new TelemetryError('TEL_STORE_QUERY', `InfluxDB: ${bad.error} (in: ${qs.join('; ').slice(0, 300)})`);
    return results;
  }

  async close(): Promise<void> {
    // The influx package keeps no sockets open between requests.
  }
}

function toTrack(r: RawResult | undefined): TrackPoint[] {
  return (r?.series ?? []).flatMap(seriesRows).flatMap((row) => trackPointOf(Number(row['time']), row) ?? []);
}

/** `168h0m0s` → ms; `0s` means infinite. */
export function goDurationMs(d: string): number {
  let ms = 0;
  for (const m of d.matchAll(/(\d+)(h|m|s)/g)) ms += Number(m[1]) * (m[2] === 'h' ? 3_600_000 : m[2] === 'm' ? 60_000 : 1000);
  return ms;
}

function wrapError(err: unknown, what: string): TelemetryError {
  const status = (err as { res?: { statusCode?: number } }).res?.statusCode;
  return storeErrorFromStatus(status, `InfluxDB ${what} failed: ${(err as Error).message}`, err);
}
