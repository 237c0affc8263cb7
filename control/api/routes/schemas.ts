import { Type, type ObjectOptions, type TProperties } from '@sinclair/typebox';
import { ROLES } from '../../../site/schema.ts';

export const ErrorBody = Type.Object({ statusCode: Type.Integer(), code: Type.String(), error: Type.String(), message: Type.String() });

export const UserBody = Type.Object({
  username: Type.String(),
  displayName: Type.String(),
  role: Type.Union(ROLES.map((r) => Type.Literal(r))),
});

export const PointBody = Type.Object(
  { latDeg: Type.Number({ minimum: -90, maximum: 90 }), lonDeg: Type.Number({ minimum: -180, maximum: 180 }) },
  { additionalProperties: false },
);

/**
 * A response object whose listed fields are documented (and typed for the handler) and
 * whose other fields pass through as they are: fastify's serializer drops properties a
 * response schema does not list, and the console reads more than each route lists.
 */
export function Open<T extends TProperties>(props: T, opts: ObjectOptions = {}) {
  return Type.Object(props, { ...opts, additionalProperties: true });
}

/** `{ ok: true }` and the like. */
export const OkBody = Open({ ok: Type.Boolean() });

/** A command-ledger record (control/ledger/machine.ts): the console follows commands by it. */
export const LedgerRecordBody = Open({
  id: Type.String(),
  issuer: Type.String(),
  target: Open({ kind: Type.String(), id: Type.String() }),
  kind: Type.String(),
  via: Type.Union([Type.Literal('mavlink'), Type.Literal('mqtt')]),
  state: Type.String(),
  createdMs: Type.Number(),
  updatedMs: Type.Number(),
  transitions: Type.Array(Open({ state: Type.String(), tsMs: Type.Number() })),
});

/** An alarm (control/alarms/alarm.ts) with its responder and history. */
export const AlarmBody = Open({
  id: Type.String(),
  severity: Type.String(),
  priority: Type.Number(),
  ringId: Type.String(),
  position: Open({ latDeg: Type.Number(), lonDeg: Type.Number() }),
  state: Type.String(),
  raisedAtMs: Type.Number(),
});

/** GeoJSON is passed through as is; its shape is documented, not re-validated on the way out. */
export const GeoJsonBody = Type.Object({ type: Type.String() }, { additionalProperties: true });
