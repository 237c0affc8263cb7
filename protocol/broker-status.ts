import { Ajv } from 'ajv';
import { describeAjvError } from './validate.ts';
import { BrokerStatusRecord, MAX_BROKER_STATUS_BYTES } from './schemas/broker-status.ts';

export * from './schemas/broker-status.ts';

const validate = new Ajv({ strict: true, allowUnionTypes: true }).compile(BrokerStatusRecord);

export type BrokerStatusCheck = { ok: true; value: BrokerStatusRecord } | { ok: false; reason: 'oversize' | 'not_json' | 'schema'; message: string };

/** Checks a status as received; never throws, and the message names the field (as checkPayload). */
export function checkBrokerStatus(payload: Uint8Array | string): BrokerStatusCheck {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > MAX_BROKER_STATUS_BYTES) return { ok: false, reason: 'oversize', message: `payload is ${size} bytes, limit ${MAX_BROKER_STATUS_BYTES}` };
  let value: unknown;
  try {
    value = JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
  } catch (err) {
    return { ok: false, reason: 'not_json', message: `payload is not JSON: ${(err as Error).message}` };
  }
  if (!validate(value)) return { ok: false, reason: 'schema', message: describeAjvError(validate.errors) };
  return { ok: true, value };
}
