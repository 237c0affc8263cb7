import { checkPayload } from '../../protocol/index.ts';
import { identityTimeNs, scalarFields } from '../points.ts';
import { deviceTags, type DeviceSource, type MapResult } from './types.ts';

const SKIP = new Set(['tsMs']);

/** `.../telemetry` → measurement `telemetry`; every payload field but tsMs becomes a field. */
export function mapTelemetry(src: DeviceSource, payload: Uint8Array): MapResult {
  const c = checkPayload<Record<string, unknown> & { tsMs: number }>(src.kind, 'telemetry', payload);
  if (!c.ok) return c;
  return {
    ok: true,
    point: { measurement: 'telemetry', tags: deviceTags(src), fields: scalarFields(c.value, SKIP), timeNs: identityTimeNs(c.value.tsMs) },
  };
}
