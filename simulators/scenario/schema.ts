import { Type, type Static } from '@sinclair/typebox';
import { DEVICE_ID_PATTERN, SENSOR_EVENT_TYPES } from '../../protocol/index.ts';
import { EventRequest, FaultRequest } from '../fleet/faults.ts';

/** `90`, `"90s"`, `"1m30s"`, `"2m"`, `"1h"`, `"0.5s"`: simulated time since the scenario started. */
export const DURATION_PATTERN = '^(?=.)((\\d+(\\.\\d+)?)h)?((\\d+(\\.\\d+)?)m)?((\\d+(\\.\\d+)?)s)?$';
const Duration = Type.Union([Type.Number({ minimum: 0 }), Type.String({ pattern: DURATION_PATTERN })]);

const Id = Type.String({ pattern: DEVICE_ID_PATTERN });

/** `all`, `none`, the first N of the site's list, or an explicit list of ids. */
const Selection = Type.Union([Type.Literal('all'), Type.Literal('none'), Type.Integer({ minimum: 0 }), Type.Array(Id, { minItems: 1 })]);
export type Selection = Static<typeof Selection>;

const Rates = Type.Object(
  Object.fromEntries(SENSOR_EVENT_TYPES.map((t) => [t, Type.Optional(Type.Number({ minimum: 0, maximum: 36_000 }))])),
  { additionalProperties: false },
);

export const TimelineStep = Type.Union([
  Type.Object({ at: Duration, note: Type.Optional(Type.String({ maxLength: 200 })), event: EventRequest }, { additionalProperties: false }),
  Type.Object({ at: Duration, note: Type.Optional(Type.String({ maxLength: 200 })), fault: FaultRequest }, { additionalProperties: false }),
  Type.Object(
    { at: Duration, note: Type.Optional(Type.String({ maxLength: 200 })), clear: Type.Object({ device: Id }, { additionalProperties: false }) },
    { additionalProperties: false },
  ),
]);
export type TimelineStep = Static<typeof TimelineStep>;

export const ScenarioFile = Type.Object(
  {
    version: Type.Literal(1),
    name: Type.String({ minLength: 1, maxLength: 120 }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    /** Default time acceleration; `--speed` overrides it. */
    speed: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1000 })),
    seed: Type.Optional(Type.Integer({ minimum: 0 })),
    devices: Type.Optional(
      Type.Object({ drones: Type.Optional(Selection), speakers: Type.Optional(Selection), sensors: Type.Optional(Selection) }, { additionalProperties: false }),
    ),
    background: Type.Optional(
      Type.Object(
        {
          /** Random sensor events at `ratesPerHour` (defaults per event type); false for a quiet site. */
          randomEvents: Type.Optional(Type.Boolean()),
          ratesPerHour: Type.Optional(Rates),
          sensorReportIntervalS: Type.Optional(Type.Number({ minimum: 1, maximum: 3600 })),
          speakerTelemetryIntervalS: Type.Optional(Type.Number({ minimum: 1, maximum: 3600 })),
        },
        { additionalProperties: false },
      ),
    ),
    timeline: Type.Array(TimelineStep, { maxItems: 10_000 }),
  },
  { additionalProperties: false },
);
export type ScenarioFile = Static<typeof ScenarioFile>;

/** Parses a Duration value to simulated seconds. */
export function durationS(v: number | string): number {
  if (typeof v === 'number') return v;
  const m = new RegExp(DURATION_PATTERN).exec(v);
  if (!m) throw new Error(`"${v}" is not a duration like 90s, 1m30s or 2h`);
  return Number(m[2] ?? 0) * 3600 + Number(m[5] ?? 0) * 60 + Number(m[8] ?? 0);
}
