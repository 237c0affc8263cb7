import { payloadOf } from './checked-payload.ts';
import { identityTimeNs, scalarFields } from '../points.ts';
import { deviceTags, type DeviceSource, type MapResult } from './types.ts';

const SKIP = new Set(['tsMs']);

/** `.../telemetry` → measurement `telemetry`; every payload field but tsMs becomes a field. */
export function mapTelemetry(src: DeviceSource, payload: Uint8Array, checked?: unknown): MapResult {
  const c = payloadOf<Record<string, unknown> & { tsMs: number }>(src, 'telemetry', payload, checked);
  if (!c.ok) return c;
  return {
    ok: true,
    point: { measurement: 'telemetry', tags: deviceTags(src), fields: scalarFields(c.value, SKIP), timeNs: identityTimeNs(c.value.tsMs) },
  };
}
