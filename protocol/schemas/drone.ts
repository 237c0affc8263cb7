import { Type, type Static } from '@sinclair/typebox';
import { LatDeg, LonDeg, MessageId, Severity, TimestampMs } from './common.ts';

/** Normalised drone telemetry, whatever the autopilot (ArduPilot, PX4). */
export const DroneTelemetry = Type.Object(
  {
    tsMs: TimestampMs,
    latDeg: LatDeg,
    lonDeg: LonDeg,
    altAmslM: Type.Number({ minimum: -500, maximum: 10000 }),
    altRelM: Type.Number({ minimum: -500, maximum: 10000, description: 'Above home' }),
    headingDeg: Type.Number({ minimum: 0, maximum: 360 }),
    groundSpeedMps: Type.Number({ minimum: 0, maximum: 200 }),
    climbRateMps: Type.Optional(Type.Number({ minimum: -100, maximum: 100 })),
    batteryPct: Type.Number({ minimum: 0, maximum: 100 }),
    batteryV: Type.Number({ minimum: 0, maximum: 100 }),
    mode: Type.String({ minLength: 1, maxLength: 32, description: 'Flight mode name, e.g. AUTO, GUIDED, RTL' }),
    armed: Type.Boolean(),
    gpsFix: Type.Integer({ minimum: 0, maximum: 8, description: 'MAVLink GPS_FIX_TYPE' }),
    satellites: Type.Optional(Type.Integer({ minimum: 0, maximum: 255 })),
    missionSeq: Type.Optional(Type.Integer({ minimum: 0 })),
    missionCount: Type.Optional(Type.Integer({ minimum: 0 })),
    linkQualityPct: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
  },
  { additionalProperties: false },
);
export type DroneTelemetry = Static<typeof DroneTelemetry>;

export const DRONE_EVENT_TYPES = [
  'statustext',
  'failsafe',
  'link_lost',
  'link_regained',
  'mission_item_reached',
  'fence_breach',
  'low_battery',
] as const;

export const DroneEvent = Type.Object(
  {
    id: MessageId,
    tsMs: TimestampMs,
    type: Type.Union(DRONE_EVENT_TYPES.map((t) => Type.Literal(t))),
    severity: Severity,
    text: Type.Optional(Type.String({ maxLength: 200 })),
    missionSeq: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type DroneEvent = Static<typeof DroneEvent>;

const CmdBase = { id: MessageId, tsMs: TimestampMs, issuer: Type.String({ minLength: 1, maxLength: 64 }) };

/**
 * Commands for drones that hold their own MQTT link. Drones reached over MAVLink are
 * commanded by the control service directly; the same vocabulary is used in its ledger.
 */
export const DroneCommand = Type.Union([
  Type.Object({ ...CmdBase, action: Type.Literal('arm') }, { additionalProperties: false }),
  Type.Object({ ...CmdBase, action: Type.Literal('disarm') }, { additionalProperties: false }),
  Type.Object(
    { ...CmdBase, action: Type.Literal('takeoff'), altitudeRelM: Type.Number({ minimum: 1, maximum: 500 }) },
    { additionalProperties: false },
  ),
  Type.Object({ ...CmdBase, action: Type.Literal('land') }, { additionalProperties: false }),
  Type.Object({ ...CmdBase, action: Type.Literal('rtl') }, { additionalProperties: false }),
  Type.Object(
    {
      ...CmdBase,
      action: Type.Literal('goto'),
      latDeg: LatDeg,
      lonDeg: LonDeg,
      altitudeRelM: Type.Number({ minimum: 1, maximum: 500 }),
      loiterRadiusM: Type.Optional(Type.Number({ minimum: 0, maximum: 1000 })),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { ...CmdBase, action: Type.Literal('set_mode'), mode: Type.String({ minLength: 1, maxLength: 32 }) },
    { additionalProperties: false },
  ),
  Type.Object(
    { ...CmdBase, action: Type.Literal('set_speed'), speedMps: Type.Number({ exclusiveMinimum: 0, maximum: 50 }) },
    { additionalProperties: false },
  ),
]);
export type DroneCommand = Static<typeof DroneCommand>;
