import { TRACK_FIELDS, type TrackPoint } from './types.ts';

/**
 * A track point from one row of a store's answer (fields, and for InfluxDB also tags),
 * or undefined without a position. Shared by every TelemetryStore so a track reads the
 * same whichever backend answered.
 */
export function trackPointOf(tsMs: number, row: Readonly<Record<string, unknown>>): TrackPoint | undefined {
  if (typeof row['latDeg'] !== 'number' || typeof row['lonDeg'] !== 'number') return undefined;
  const p: TrackPoint = { tsMs, latDeg: row['latDeg'], lonDeg: row['lonDeg'] };
  for (const f of TRACK_FIELDS.slice(2)) {
    const v = row[f];
    if (typeof v === 'number') p[f] = v;
  }
  return p;
}

/** A service record as published, from its stored `recordJson` field ({} when absent or unreadable). */
export function parseRecordJson(json: unknown): Record<string, unknown> {
  try {
    return typeof json === 'string' ? (JSON.parse(json) as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
