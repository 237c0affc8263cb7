import { Type, type Static } from '@sinclair/typebox';
import { MessageId, Severity, TimestampMs } from './common.ts';

export const SensorTelemetry = Type.Object(
  {
    tsMs: TimestampMs,
    batteryPct: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    rssiDbm: Type.Optional(Type.Number({ minimum: -150, maximum: 0 })),
    /** Latest head count for crowd sensors. */
    crowdCount: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type SensorTelemetry = Static<typeof SensorTelemetry>;

export const SENSOR_EVENT_TYPES = [
  'vehicle_pass',
  'watchlist_hit',
  'perimeter_intrusion',
  'panic_button',
  'crowd_count',
  'tamper',
] as const;
export type SensorEventType = (typeof SENSOR_EVENT_TYPES)[number];

export const SensorEvent = Type.Object(
  {
    id: MessageId,
    tsMs: TimestampMs,
    type: Type.Union(SENSOR_EVENT_TYPES.map((t) => Type.Literal(t))),
    severity: Severity,
    checkpointId: Type.String({ minLength: 1, maxLength: 64 }),
    plate: Type.Optional(Type.String({ minLength: 1, maxLength: 16 })),
    watchlist: Type.Optional(Type.String({ maxLength: 64 })),
    crowdCount: Type.Optional(Type.Integer({ minimum: 0 })),
    /** Optional precise position when the sensor sees beyond its checkpoint. */
    latDeg: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
    lonDeg: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
    text: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type SensorEvent = Static<typeof SensorEvent>;

const CmdBase = { id: MessageId, tsMs: TimestampMs, issuer: Type.String({ minLength: 1, maxLength: 64 }) };

export const SensorCommand = Type.Union([
  Type.Object({ ...CmdBase, action: Type.Literal('self_test') }, { additionalProperties: false }),
  Type.Object(
    { ...CmdBase, action: Type.Literal('set_report_interval'), intervalS: Type.Number({ minimum: 1, maximum: 3600 }) },
    { additionalProperties: false },
  ),
]);
export type SensorCommand = Static<typeof SensorCommand>;
