/**
 * The point model shared by the mapping, the spool and both store backends.
 * See telemetry/SCHEMA.md for the measurements, tags and fields.
 */
export type FieldValue = number | string | boolean;

export const MEASUREMENTS = ['telemetry', 'event', 'status', 'ack', 'ledger', 'audit', 'alarm', 'broadcast'] as const;
export type Measurement = (typeof MEASUREMENTS)[number];

/** Retention classes: raw positions, downsampled tracks, long-lived records. */
export const RETENTION_CLASSES = ['raw', 'track', 'long'] as const;
export type RetentionClass = (typeof RETENTION_CLASSES)[number];

export const MEASUREMENT_RETENTION: Record<Measurement, RetentionClass> = {
  telemetry: 'raw',
  event: 'long',
  status: 'long',
  ack: 'long',
  ledger: 'long',
  audit: 'long',
  alarm: 'long',
  broadcast: 'long',
};

/** The measurement the downsampling writes into (retention class `track`). */
export const TRACK_MEASUREMENT = 'track';
export const TRACK_INTERVAL_DEFAULT = '10s';

export interface TelemetryPoint {
  measurement: Measurement;
  tags: Record<string, string>;
  /** Numbers are always written as floats so a field never changes type. */
  fields: Record<string, FieldValue>;
  /** Nanoseconds since the Unix epoch as a decimal string (exceeds 2^53). */
  timeNs: string;
}

/** FNV-1a, 32 bit: cheap, stable across processes and versions. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Point identity is (measurement, tags, time). A record with an id (event, ack,
 * ledger, audit) gets its sub-millisecond nanoseconds from a hash of that id, so a
 * redelivered record overwrites itself while two records in the same millisecond
 * stay apart (collision odds 1e-6 per same-millisecond pair on one series).
 */
export function identityTimeNs(tsMs: number, id?: string): string {
  const sub = id === undefined ? 0 : fnv1a(id) % 1_000_000;
  return `${Math.trunc(tsMs)}${String(sub).padStart(6, '0')}`;
}

/** ns string → ms number (drops the identity nanoseconds). */
export function nsToMs(ns: string): number {
  return ns.length > 6 ? Number(ns.slice(0, -6)) : 0;
}

/** Copies defined JSON values into fields, skipping nested objects and arrays. */
export function scalarFields(src: Record<string, unknown>, skip: ReadonlySet<string>): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  for (const [k, v] of Object.entries(src)) {
    if (skip.has(k)) continue;
    if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') out[k] = v;
  }
  return out;
}
