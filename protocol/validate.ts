import type { TSchema } from '@sinclair/typebox';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { CHANNELS, DEVICE_KINDS, type Channel, type DeviceKind } from './topics.ts';
import { MAX_PAYLOAD_BYTES, PAYLOAD_SCHEMAS } from './registry.ts';

export type PayloadRejectReason = 'oversize' | 'not_json' | 'schema';

export type PayloadCheck<T = unknown> =
  | { ok: true; value: T }
  | { ok: false; reason: PayloadRejectReason; message: string };

const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });

type Validator = (value: unknown) => string | undefined;

/**
 * Command payloads are unions discriminated by `action`. Validating the whole union
 * makes Ajv report every branch's failure; picking the branch first lets the error
 * name the field that is actually wrong.
 */
function compileValidator(schema: TSchema): Validator {
  const branches = (schema as { anyOf?: TSchema[] }).anyOf;
  const byAction = new Map<string, ValidateFunction>();
  for (const b of branches ?? []) {
    const action = (b as { properties?: { action?: { const?: unknown } } }).properties?.action?.const;
    if (typeof action === 'string') byAction.set(action, ajv.compile(b));
  }
  if (branches && byAction.size === branches.length) {
    const actions = [...byAction.keys()];
    return (value) => {
      const action = (value as { action?: unknown } | null)?.action;
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'field /: must be object';
      if (typeof action !== 'string') return 'field /action: is required';
      const v = byAction.get(action);
      if (!v) return `field /action: must be one of ${JSON.stringify(actions)}`;
      return v(value) ? undefined : describeAjvError(v.errors);
    };
  }
  const v = ajv.compile(schema);
  return (value) => (v(value) ? undefined : describeUnionAware(v));
}

const validators = new Map<string, Validator>();
for (const kind of DEVICE_KINDS) {
  for (const channel of CHANNELS) {
    validators.set(`${kind}/${channel}`, compileValidator(PAYLOAD_SCHEMAS[kind][channel]));
  }
}

/** Renders Ajv's first error as `field /latDeg: must be <= 90`, naming the field. */
export function describeAjvError(errors: ErrorObject[] | null | undefined): string {
  const e = errors?.[0];
  if (!e) return 'invalid';
  let path = e.instancePath || '/';
  if (e.keyword === 'required') path = `${e.instancePath}/${String(e.params['missingProperty'])}`;
  if (e.keyword === 'additionalProperties') {
    return `field ${e.instancePath || '/'}: unknown property "${String(e.params['additionalProperty'])}"`;
  }
  if (e.keyword === 'required') return `field ${path}: is required`;
  if (e.keyword === 'const' || e.keyword === 'enum') {
    const allowed = e.keyword === 'const' ? e.params['allowedValue'] : e.params['allowedValues'];
    return `field ${path}: must be ${JSON.stringify(allowed)}`;
  }
  return `field ${path}: ${e.message ?? 'invalid'}`;
}

/**
 * Checks a raw MQTT payload against the schema of its (kind, channel).
 * Never throws: bad input is a value, so the broker can count it and carry on.
 */
export function checkPayload<T = unknown>(kind: DeviceKind, channel: Channel, payload: Uint8Array | string): PayloadCheck<T> {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > MAX_PAYLOAD_BYTES) {
    return { ok: false, reason: 'oversize', message: `payload is ${size} bytes, limit ${MAX_PAYLOAD_BYTES}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
  } catch (err) {
    return { ok: false, reason: 'not_json', message: `payload is not JSON: ${(err as Error).message}` };
  }
  const problem = validators.get(`${kind}/${channel}`)!(value);
  if (problem !== undefined) return { ok: false, reason: 'schema', message: problem };
  return { ok: true, value: value as T };
}

/**
 * For unions (commands), Ajv's first error is usually "must match a schema in anyOf",
 * which names nothing; prefer the first error that points at a concrete field.
 */
function describeUnionAware(validate: ValidateFunction): string {
  const errors = validate.errors ?? [];
  const concrete = errors.filter((e) => e.keyword !== 'anyOf');
  return describeAjvError(concrete.length > 0 ? concrete : errors);
}

export { ajv as protocolAjv };
