import { Type, type Static } from '@sinclair/typebox';
import { TimestampMs } from './common.ts';

/**
 * `status` is retained. A device publishes `online` right after connecting and sets
 * its MQTT will to `offline` (reason `connection_lost`), so the broker announces a drop.
 */
export const StatusPayload = Type.Object(
  {
    tsMs: TimestampMs,
    state: Type.Union([Type.Literal('online'), Type.Literal('offline')]),
    reason: Type.Optional(Type.String({ maxLength: 200 })),
    firmware: Type.Optional(Type.String({ maxLength: 64 })),
    /** Set when a gateway (the control service for MAVLink drones) speaks for the device. */
    via: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type StatusPayload = Static<typeof StatusPayload>;
