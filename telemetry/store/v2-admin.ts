import type { InfluxDB } from '@influxdata/influxdb-client';
import { durationMs, TRACK_FIELDS, type RetentionConfig } from './types.ts';

/**
 * InfluxDB 2.x management over its HTTP API (/api/v2/orgs, /buckets, /tasks): one
 * bucket per retention class and one Flux task for the downsampled tracks. Kept apart
 * from the query side so the store file stays readable.
 */
export interface V2Names {
  org: string;
  raw: string;
  track: string;
  long: string;
  task: string;
}

interface Bucket {
  id: string;
  name: string;
  retentionRules?: { type: string; everySeconds: number }[];
}

type Req = (path: string, body: unknown, method: string) => Promise<unknown>;

export function requester(influx: InfluxDB): Req {
  return (path, body, method) =>
    influx.transport.request(path, body === undefined ? '' : JSON.stringify(body), {
      method,
      headers: { 'content-type': 'application/json; charset=utf-8' },
    }) as Promise<unknown>;
}

export function trackTaskFlux(n: V2Names, retention: RetentionConfig): string {
  const every = retention.trackInterval;
  const fields = TRACK_FIELDS.map((f) => `r._field == "${f}"`).join(' or ');
  return `option task = {name: "${n.task}", every: ${every}}

from(bucket: "${n.raw}")
  |> range(start: -${(2 * durationMs(every)) / 1000}s)
  |> filter(fn: (r) => r._measurement == "telemetry" and r.kind != "sensor" and (${fields}))
  |> aggregateWindow(every: ${every}, fn: last, createEmpty: false, timeSrc: "_start")
  |> set(key: "_measurement", value: "track")
  |> to(bucket: "${n.track}", org: "${n.org}")
`;
}

/** Creates or updates buckets and the track task. Idempotent. */
export async function ensureV2Schema(req: Req, n: V2Names, retention: RetentionConfig): Promise<void> {
  const orgs = (await req(`/api/v2/orgs?org=${encodeURIComponent(n.org)}`, undefined, 'GET')) as { orgs?: { id: string }[] };
  const orgID = orgs.orgs?.[0]?.id;
  if (!orgID) throw new Error(`InfluxDB organization "${n.org}" not found`);
  const want: [string, number][] = [
    [n.raw, durationMs(retention.raw) / 1000],
    [n.track, durationMs(retention.track) / 1000],
    [n.long, durationMs(retention.long) / 1000],
  ];
  for (const [name, everySeconds] of want) {
    const list = (await req(`/api/v2/buckets?orgID=${orgID}&name=${encodeURIComponent(name)}`, undefined, 'GET')) as { buckets?: Bucket[] };
    const b = list.buckets?.find((x) => x.name === name);
    const retentionRules = [{ type: 'expire', everySeconds }];
    if (!b) await req('/api/v2/buckets', { orgID, name, retentionRules }, 'POST');
    else if (b.retentionRules?.[0]?.everySeconds !== everySeconds) await req(`/api/v2/buckets/${b.id}`, { retentionRules }, 'PATCH');
  }
  const flux = trackTaskFlux(n, retention);
  const tasks = (await req(`/api/v2/tasks?orgID=${orgID}&name=${encodeURIComponent(n.task)}`, undefined, 'GET')) as {
    tasks?: { id: string; name: string; flux: string }[];
  };
  const t = tasks.tasks?.find((x) => x.name === n.task);
  if (!t) await req('/api/v2/tasks', { orgID, flux, status: 'active' }, 'POST');
  else if (t.flux !== flux) await req(`/api/v2/tasks/${t.id}`, { flux }, 'PATCH');
}

export async function describeV2(req: Req, n: V2Names): Promise<{ policies: { name: string; durationMs: number }[]; downsampling: string[] }> {
  const orgs = (await req(`/api/v2/orgs?org=${encodeURIComponent(n.org)}`, undefined, 'GET')) as { orgs?: { id: string }[] };
  const orgID = orgs.orgs?.[0]?.id ?? '';
  const list = (await req(`/api/v2/buckets?orgID=${orgID}`, undefined, 'GET')) as { buckets?: Bucket[] };
  const tasks = (await req(`/api/v2/tasks?orgID=${orgID}`, undefined, 'GET')) as { tasks?: { name: string }[] };
  const mine = new Set([n.raw, n.track, n.long]);
  return {
    policies: (list.buckets ?? [])
      .filter((b) => mine.has(b.name))
      .map((b) => ({ name: b.name, durationMs: (b.retentionRules?.[0]?.everySeconds ?? 0) * 1000 })),
    downsampling: (tasks.tasks ?? []).map((t) => t.name),
  };
}
