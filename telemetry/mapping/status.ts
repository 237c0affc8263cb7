import type { StatusPayload } from '../../protocol/index.ts';
import { payloadOf } from './checked-payload.ts';
import { identityTimeNs } from '../points.ts';
import { deviceTags, type DeviceSource, type MapResult } from './types.ts';

/**
 * `.../status` (retained) → measurement `status`. `state` is a field, not a tag, so
 * "latest status" is one series per device. The retained copy delivered on every
 * resubscribe has the same tsMs and so rewrites the same point.
 */
export function mapStatus(src: DeviceSource, payload: Uint8Array, checked?: unknown): MapResult {
  const c = payloadOf<StatusPayload>(src, 'status', payload, checked);
  if (!c.ok) return c;
  const v = c.value;
  const fields: Record<string, string | boolean> = { state: v.state, online: v.state === 'online' };
  if (v.reason !== undefined) fields['reason'] = v.reason;
  if (v.firmware !== undefined) fields['firmware'] = v.firmware;
  if (v.via !== undefined) fields['via'] = v.via;
  return { ok: true, point: { measurement: 'status', tags: deviceTags(src), fields, timeNs: identityTimeNs(v.tsMs) } };
}
