import { Type, type Static } from '@sinclair/typebox';
import { DEVICE_ID_PATTERN } from '../topics.ts';

/** Milliseconds since the Unix epoch, UTC. Every payload carries one. */
export const TimestampMs = Type.Integer({ minimum: 0, description: 'Unix epoch milliseconds, UTC' });

export const DeviceId = Type.String({ pattern: DEVICE_ID_PATTERN, description: 'Device id from the site file' });

/** Command and event ids: opaque, unique per issuer; UUIDs recommended. */
export const MessageId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._:-]+$' });

export const LatDeg = Type.Number({ minimum: -90, maximum: 90, description: 'WGS-84 latitude, degrees' });
export const LonDeg = Type.Number({ minimum: -180, maximum: 180, description: 'WGS-84 longitude, degrees' });

export const Severity = Type.Union(
  [Type.Literal('info'), Type.Literal('low'), Type.Literal('medium'), Type.Literal('high'), Type.Literal('critical')],
  { description: 'Ordered info < low < medium < high < critical' },
);
export type Severity = Static<typeof Severity>;

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

export const Position = Type.Object(
  { latDeg: LatDeg, lonDeg: LonDeg },
  { additionalProperties: false },
);
export type Position = Static<typeof Position>;
