import { Type, type Static } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import { describeAjvError } from './validate.ts';
import { DEVICE_KINDS, DEVICE_ID_PATTERN, serviceTopic } from './topics.ts';

/**
 * Service topics: the records services publish beside the device tree and the telemetry
 * service stores. Defined once here (producers in control, the consumer in telemetry).
 */
export const LEDGER_TOPIC = serviceTopic('ledger');
export const AUDIT_TOPIC = serviceTopic('audit');
export const ALARM_TOPIC = serviceTopic('alarms');
export const BROADCAST_TOPIC = serviceTopic('broadcasts');

/** Ledger and audit records carry more than device payloads (the broker allows 256 KiB on svc/). */
export const MAX_SERVICE_RECORD_BYTES = 64 * 1024;

const RecordId = Type.String({ minLength: 1, maxLength: 128 });
const Short = (max: number) => Type.Optional(Type.String({ maxLength: max }));

const DeviceIdStr = Type.String({ pattern: DEVICE_ID_PATTERN });
const DeviceKindLit = Type.Union(DEVICE_KINDS.map((k) => Type.Literal(k)));

/**
 * A command-ledger record: one message per state change of a command. The control
 * service publishes `{ tsMs, id, state, detail?, record: { id, issuer, target: {kind, id},
 * kind, via, payload, ... } }`; flat producers may put deviceId/kind/action/issuer at the
 * top instead. Tolerant on purpose: the ledger belongs to the control service and grows
 * fields; unknown properties are kept verbatim in `recordJson`, only these are checked.
 */
export const LedgerRecord = Type.Object(
  {
    id: RecordId,
    tsMs: Type.Integer({ minimum: 0 }),
    state: Short(32),
    detail: Short(500),
    commandId: Short(128),
    deviceId: Type.Optional(DeviceIdStr),
    kind: Type.Optional(DeviceKindLit),
    action: Short(64),
    issuer: Short(64),
    reason: Short(500),
    record: Type.Optional(
      Type.Object(
        {
          issuer: Short(64),
          kind: Short(64),
          via: Short(16),
          target: Type.Optional(Type.Object({ kind: Type.Optional(DeviceKindLit), id: Type.Optional(DeviceIdStr) }, { additionalProperties: true })),
        },
        { additionalProperties: true },
      ),
    ),
  },
  { additionalProperties: true },
);
export type LedgerRecord = Static<typeof LedgerRecord> & Record<string, unknown>;

/**
 * An audit record: who did what to what, and how it ended. The control API publishes
 * `{ id, tsMs, username, role, action: 'POST /api/x', target, request?, outcome, status,
 * detail? }`; `actor` is accepted as a synonym of `username`. Tolerant like the ledger.
 */
export const AuditRecord = Type.Object(
  {
    id: RecordId,
    tsMs: Type.Integer({ minimum: 0 }),
    username: Short(64),
    actor: Short(64),
    role: Short(32),
    action: Short(120),
    target: Short(500),
    outcome: Short(32),
    status: Type.Optional(Type.Integer()),
    detail: Short(500),
    reason: Short(500),
  },
  { additionalProperties: true },
);
export type AuditRecord = Static<typeof AuditRecord> & Record<string, unknown>;

/**
 * An alarm record: one message per change of an alarm (raised, responder assigned, on
 * scene, acknowledged, resolved), `seq` counting the changes. The control service
 * publishes the whole alarm; only what the store indexes is checked.
 */
export const AlarmRecord = Type.Object(
  {
    id: RecordId,
    tsMs: Type.Integer({ minimum: 0 }),
    seq: Type.Integer({ minimum: 0 }),
    state: Short(32),
    severity: Short(16),
    ringId: Short(32),
    source: Type.Optional(Type.Object({ kind: Short(16), deviceId: Type.Optional(DeviceIdStr), checkpointId: Short(64) }, { additionalProperties: true })),
    position: Type.Optional(Type.Object({ latDeg: Type.Number({ minimum: -90, maximum: 90 }), lonDeg: Type.Number({ minimum: -180, maximum: 180 }) }, { additionalProperties: true })),
    responder: Type.Optional(
      Type.Object({ droneId: Type.Optional(DeviceIdStr), timeToSceneS: Type.Optional(Type.Number()), withinTarget: Type.Optional(Type.Boolean()) }, { additionalProperties: true }),
    ),
  },
  { additionalProperties: true },
);
export type AlarmRecord = Static<typeof AlarmRecord> & Record<string, unknown>;

/**
 * A broadcast record: published when a broadcast starts and when every speaker has
 * answered (`state` started | done), with the per-speaker report in `speakers`.
 */
export const BroadcastRecord = Type.Object(
  {
    id: RecordId,
    tsMs: Type.Integer({ minimum: 0 }),
    state: Type.Union([Type.Literal('started'), Type.Literal('done')]),
    issuer: Short(64),
    counts: Type.Optional(Type.Record(Type.String(), Type.Integer({ minimum: 0 }))),
  },
  { additionalProperties: true },
);
export type BroadcastRecord = Static<typeof BroadcastRecord> & Record<string, unknown>;

const ajv = new Ajv({ strict: true, allowUnionTypes: true });
const validators = { ledger: ajv.compile(LedgerRecord), audit: ajv.compile(AuditRecord), alarm: ajv.compile(AlarmRecord), broadcast: ajv.compile(BroadcastRecord) };

export type ServiceRecordKind = keyof typeof validators;

export type ServiceRecordCheck =
  | { ok: true; value: Record<string, unknown> & { id: string; tsMs: number } }
  | { ok: false; reason: 'oversize' | 'not_json' | 'schema'; message: string };

/** Same contract as protocol's checkPayload: never throws, names the field. */
export function checkServiceRecord(kind: ServiceRecordKind, payload: Uint8Array | string): ServiceRecordCheck {
  const text = typeof payload === 'string' ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > MAX_SERVICE_RECORD_BYTES) return { ok: false, reason: 'oversize', message: `payload is ${size} bytes, limit ${MAX_SERVICE_RECORD_BYTES}` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: 'not_json', message: `payload is not JSON: ${(err as Error).message}` };
  }
  const v = validators[kind];
  if (!v(value)) return { ok: false, reason: 'schema', message: describeAjvError(v.errors) };
  return { ok: true, value: value as Record<string, unknown> & { id: string; tsMs: number } };
}
