import { identityTimeNs, type FieldValue } from '../points.ts';
import { checkServiceRecord, type ServiceRecordKind } from '../service-records.ts';
import type { MapResult } from './types.ts';

type Rec = Record<string, unknown>;

const str = (...xs: unknown[]): string | undefined => xs.find((x): x is string => typeof x === 'string' && x !== '');

/** Tags: closed or small sets, useful as filters. Fields: free text or unbounded values. */
function ledgerParts(v: Rec): { tags: Record<string, string | undefined>; fields: Record<string, FieldValue | undefined> } {
  const r = (typeof v['record'] === 'object' && v['record'] !== null ? v['record'] : {}) as Rec;
  const target = (typeof r['target'] === 'object' && r['target'] !== null ? r['target'] : {}) as Rec;
  return {
    tags: {
      deviceId: str(v['deviceId'], target['id']),
      kind: str(v['kind'], target['kind']),
      action: str(v['action'], r['kind']),
      state: str(v['state']),
    },
    fields: {
      id: String(v['id']),
      commandId: str(v['commandId'], r['id']),
      issuer: str(v['issuer'], r['issuer']),
      via: str(r['via']),
      detail: str(v['detail']),
      reason: str(v['reason']),
    },
  };
}

function auditParts(v: Rec): { tags: Record<string, string | undefined>; fields: Record<string, FieldValue | undefined> } {
  return {
    tags: { action: str(v['action']), outcome: str(v['outcome']), role: str(v['role']) },
    fields: {
      id: String(v['id']),
      actor: str(v['actor'], v['username']),
      target: str(v['target']),
      status: typeof v['status'] === 'number' ? v['status'] : undefined,
      detail: str(v['detail'], v['reason']),
    },
  };
}

function alarmParts(v: Rec): { tags: Record<string, string | undefined>; fields: Record<string, FieldValue | undefined> } {
  const source = (typeof v['source'] === 'object' && v['source'] !== null ? v['source'] : {}) as Rec;
  const responder = (typeof v['responder'] === 'object' && v['responder'] !== null ? v['responder'] : {}) as Rec;
  const position = (typeof v['position'] === 'object' && v['position'] !== null ? v['position'] : {}) as Rec;
  const num = (x: unknown) => (typeof x === 'number' ? x : undefined);
  return {
    tags: { ringId: str(v['ringId']), severity: str(v['severity']), state: str(v['state']), source: str(source['kind']) },
    fields: {
      id: String(v['id']),
      checkpointId: str(source['checkpointId']),
      sensorId: str(source['deviceId']),
      droneId: str(responder['droneId']),
      timeToSceneS: num(responder['timeToSceneS']),
      withinTarget: typeof responder['withinTarget'] === 'boolean' ? responder['withinTarget'] : undefined,
      latDeg: num(position['latDeg']),
      lonDeg: num(position['lonDeg']),
    },
  };
}

function broadcastParts(v: Rec): { tags: Record<string, string | undefined>; fields: Record<string, FieldValue | undefined> } {
  const counts = (typeof v['counts'] === 'object' && v['counts'] !== null ? v['counts'] : {}) as Record<string, unknown>;
  const n = (k: string) => (typeof counts[k] === 'number' ? counts[k] : undefined);
  const speakers = Object.values(counts).reduce<number>((s, x) => s + (typeof x === 'number' ? x : 0), 0);
  return {
    tags: { state: str(v['state']) },
    fields: { id: String(v['id']), issuer: str(v['issuer']), speakers, finished: n('finished'), failed: n('failed'), noAnswer: n('no_answer'), rejected: n('rejected') },
  };
}

/**
 * `ringwatch/v1/svc/ledger|audit|alarms|broadcasts` → measurement `ledger` / `audit`. The whole record
 * is kept as `recordJson` so fields the schema does not know survive the round trip.
 * Identity: a ledger message is one state change of command `id`, so (id, state)
 * identifies it; an audit record is identified by its id; an alarm change by (id, seq).
 */
export function mapServiceRecord(kind: ServiceRecordKind, site: string, payload: Uint8Array): MapResult {
  const c = checkServiceRecord(kind, payload);
  if (!c.ok) return c;
  const v = c.value;
  const parts = kind === 'ledger' ? ledgerParts(v) : kind === 'alarm' ? alarmParts(v) : kind === 'broadcast' ? broadcastParts(v) : auditParts(v);
  const tags: Record<string, string> = { site };
  for (const [k, x] of Object.entries(parts.tags)) if (x !== undefined) tags[k] = x;
  const fields: Record<string, FieldValue> = { recordJson: JSON.stringify(v) };
  for (const [k, x] of Object.entries(parts.fields)) if (x !== undefined) fields[k] = x;
  const identity =
    kind === 'ledger' || kind === 'broadcast' ? `${v.id}/${typeof v['state'] === 'string' ? v['state'] : ''}` : kind === 'alarm' ? `${v.id}/${String(v['seq'])}` : v.id;
  return { ok: true, point: { measurement: kind, tags, fields, timeNs: identityTimeNs(v.tsMs, identity) } };
}
