import type { AckPayload } from '../../protocol/index.ts';
import { payloadOf } from './checked-payload.ts';
import { identityTimeNs } from '../points.ts';
import { deviceTags, type DeviceSource, type MapResult } from './types.ts';

/** `.../ack` → measurement `ack`; the command id is a field (unbounded), state a tag (closed set). */
export function mapAck(src: DeviceSource, payload: Uint8Array, checked?: unknown): MapResult {
  const c = payloadOf<AckPayload>(src, 'ack', payload, checked);
  if (!c.ok) return c;
  const v = c.value;
  const fields: Record<string, string | number> = { id: v.id };
  if (v.reason !== undefined) fields['reason'] = v.reason;
  if (v.progressPct !== undefined) fields['progressPct'] = v.progressPct;
  return {
    ok: true,
    point: { measurement: 'ack', tags: { ...deviceTags(src), state: v.state }, fields, timeNs: identityTimeNs(v.tsMs, `${v.id}/${v.state}`) },
  };
}
