import { payloadOf } from './checked-payload.ts';
import { identityTimeNs, scalarFields } from '../points.ts';
import { deviceTags, type DeviceSource, type MapResult } from './types.ts';

const SKIP = new Set(['tsMs', 'type', 'severity']);

/** `.../event` → measurement `event`, tagged by type and severity (both closed sets). */
export function mapEvent(src: DeviceSource, payload: Uint8Array, checked?: unknown): MapResult {
  const c = payloadOf<Record<string, unknown> & { id: string; tsMs: number; type: string; severity: string }>(src, 'event', payload, checked);
  if (!c.ok) return c;
  const v = c.value;
  return {
    ok: true,
    point: {
      measurement: 'event',
      tags: { ...deviceTags(src), type: v.type, severity: v.severity },
      fields: scalarFields(v, SKIP),
      timeNs: identityTimeNs(v.tsMs, v.id),
    },
  };
}
