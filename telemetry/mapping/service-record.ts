import { identityTimeNs, type FieldValue } from '../points.ts';
import { checkServiceRecord, type ServiceRecordKind } from '../service-records.ts';
import type { MapResult } from './types.ts';

/** Promoted to tags: closed or small sets, useful as filters. */
const TAGS: Record<ServiceRecordKind, readonly string[]> = {
  ledger: ['deviceId', 'kind', 'action', 'state'],
  audit: ['action', 'outcome'],
};
/** Promoted to fields: free text or unbounded values worth selecting directly. */
const FIELDS: Record<ServiceRecordKind, readonly string[]> = {
  ledger: ['id', 'commandId', 'issuer', 'reason'],
  audit: ['id', 'actor', 'role', 'target', 'reason'],
};

/**
 * `ringwatch/v1/svc/ledger|audit` → measurement `ledger` / `audit`. The whole record
 * is kept as `recordJson` so fields the schema does not know survive the round trip.
 */
export function mapServiceRecord(kind: ServiceRecordKind, site: string, payload: Uint8Array): MapResult {
  const c = checkServiceRecord(kind, payload);
  if (!c.ok) return c;
  const v = c.value;
  const tags: Record<string, string> = { site };
  for (const t of TAGS[kind]) {
    const x = v[t];
    if (typeof x === 'string' && x !== '') tags[t] = x;
  }
  const fields: Record<string, FieldValue> = { recordJson: JSON.stringify(v) };
  for (const f of FIELDS[kind]) {
    const x = v[f];
    if (typeof x === 'string') fields[f] = x;
  }
  return { ok: true, point: { measurement: kind, tags, fields, timeNs: identityTimeNs(v.tsMs, v.id) } };
}
