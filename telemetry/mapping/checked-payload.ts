import { checkPayload, type Channel, type PayloadCheck } from '../../protocol/index.ts';
import type { DeviceSource } from './types.ts';

/**
 * The payload of a device message, validated: `checked` as it is when the broker in this
 * process already accepted it through checkPayload for the same kind and channel (see
 * mapMessage), else the bytes parsed and checked here. One parse per message either way.
 */
export function payloadOf<T>(src: DeviceSource, channel: Channel, payload: Uint8Array, checked: unknown): PayloadCheck<T> {
  return checked === undefined ? checkPayload<T>(src.kind, channel, payload) : { ok: true, value: checked as T };
}
