import { checkPayload } from '../../protocol/index.ts';
import { identityTimeNs, scalarFields } from '../points.ts';
import { deviceTags, type DeviceSource, type MapResult } from './types.ts';

const SKIP = new Set(['tsMs', 'type', 'severity']);

/** `.../event` → measurement `event`, tagged by type and severity (both closed sets). */
export function mapEvent(src: DeviceSource, payload: Uint8Array): MapResult {
  const c = checkPayload<Record<string, unknown> & { id: string; tsMs: number; type: string; severity: string }>(src.kind, 'event', payload);
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
