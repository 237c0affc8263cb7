import { Type, type Static } from '@sinclair/typebox';
import { DEVICE_ID_PATTERN } from '../protocol/topics.ts';
import { SENSOR_EVENT_TYPES } from '../protocol/schemas/sensor.ts';

const Id = Type.String({ pattern: DEVICE_ID_PATTERN });
const Text = (max = 200) => Type.String({ minLength: 1, maxLength: max });

export const Point = Type.Object(
  { latDeg: Type.Number({ minimum: -90, maximum: 90 }), lonDeg: Type.Number({ minimum: -180, maximum: 180 }) },
  { additionalProperties: false },
);
export type Point = Static<typeof Point>;

export const CircleShape = Type.Object(
  { type: Type.Literal('circle'), center: Point, radiusM: Type.Number({ exclusiveMinimum: 0, maximum: 100_000 }) },
  { additionalProperties: false },
);

/** Polygon vertices in order; the ring closes itself (do not repeat the first point). */
export const PolygonShape = Type.Object(
  { type: Type.Literal('polygon'), points: Type.Array(Point, { minItems: 3, maxItems: 2000 }) },
  { additionalProperties: false },
);

export const Shape = Type.Union([CircleShape, PolygonShape]);
export type Shape = Static<typeof Shape>;

export const RING_IDS = ['containment', 'prevention', 'control'] as const;
export type RingId = (typeof RING_IDS)[number];

/** Default response-time targets: containment 1 min, prevention 3 min, control 5 min. */
export const DEFAULT_RESPONSE_TARGET_S: Record<RingId, number> = { containment: 60, prevention: 180, control: 300 };

export const Ring = Type.Object(
  {
    id: Type.Union(RING_IDS.map((r) => Type.Literal(r))),
    name: Text(80),
    shape: Shape,
    responseTargetS: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 3600 })),
    altitudeBandM: Type.Object(
      { minRelM: Type.Number({ minimum: 5, maximum: 500 }), maxRelM: Type.Number({ minimum: 5, maximum: 500 }) },
      { additionalProperties: false },
    ),
    /** Warning library id played on this ring's speakers when an alarm is raised here. */
    defaultWarning: Id,
    /** Drones on this ring's loop at once (their reliefs come on top); when absent the planner derives it. */
    patrolDrones: Type.Optional(Type.Integer({ minimum: 0, maximum: 500 })),
    /** Longest acceptable time between two passes over a point of the loop; sets the drone count. */
    revisitTargetS: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 7200 })),
  },
  { additionalProperties: false },
);
export type Ring = Static<typeof Ring>;

export const Sensor = Type.Object(
  {
    id: Id,
    type: Type.Union(
      ['anpr_camera', 'perimeter', 'panic_button', 'crowd_counter', 'face_watchlist'].map((t) => Type.Literal(t)),
    ),
    /** Which event types this sensor emits (defaults by sensor type). */
    emits: Type.Optional(Type.Array(Type.Union(SENSOR_EVENT_TYPES.map((t) => Type.Literal(t))), { minItems: 1 })),
  },
  { additionalProperties: false },
);
export type Sensor = Static<typeof Sensor>;

export const Checkpoint = Type.Object(
  { id: Id, name: Text(80), position: Point, sensors: Type.Array(Sensor, { minItems: 1, maxItems: 64 }) },
  { additionalProperties: false },
);
export type Checkpoint = Static<typeof Checkpoint>;

export const FixedSpeaker = Type.Object(
  {
    id: Id,
    name: Text(80),
    position: Point,
    /** Distance at which a warning is intelligible, used for targeting by radius. */
    audibleRangeM: Type.Number({ exclusiveMinimum: 0, maximum: 5000 }),
  },
  { additionalProperties: false },
);
export type FixedSpeaker = Static<typeof FixedSpeaker>;

export const MavlinkEndpoint = Type.Object(
  {
    /** `udp://host:port` (we listen), `udpout://host:port` (we send first), or `tcp://host:port`. */
    url: Type.String({ pattern: '^(udp|udpout|tcp)://[^\\s:/]+:[0-9]{1,5}$' }),
    systemId: Type.Integer({ minimum: 1, maximum: 250 }),
    autopilot: Type.Optional(Type.Union([Type.Literal('ardupilot'), Type.Literal('px4')])),
    /**
     * MAVLink 2 message signing. The site names the key only; the 32-byte key itself is in
     * the secrets file under `mavlinkKeys.<keyId>` and never in the site file. With a key,
     * ringwatch signs everything it sends this drone and refuses its unsigned frames.
     */
    signing: Type.Optional(Type.Object({ keyId: Id }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

export const Drone = Type.Object(
  {
    id: Id,
    name: Text(80),
    mavlink: MavlinkEndpoint,
    dock: Type.Object({ ...Point.properties, altitudeAmslM: Type.Number({ minimum: -500, maximum: 9000 }) }, { additionalProperties: false }),
    cruiseSpeedMps: Type.Number({ exclusiveMinimum: 0, maximum: 40 }),
    maxSpeedMps: Type.Number({ exclusiveMinimum: 0, maximum: 60 }),
    enduranceS: Type.Number({ exclusiveMinimum: 0, maximum: 36_000 }),
    /** Battery share kept for the flight home; never planned away. */
    reservePct: Type.Optional(Type.Number({ minimum: 0, maximum: 90 })),
    speaker: Type.Optional(
      Type.Object({ id: Id, audibleRangeM: Type.Number({ exclusiveMinimum: 0, maximum: 2000 }) }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);
export type Drone = Static<typeof Drone>;

export const NoFlyZone = Type.Object(
  { id: Id, name: Text(80), shape: Shape, ceilingRelM: Type.Optional(Type.Number({ minimum: 0 })) },
  { additionalProperties: false },
);
export type NoFlyZone = Static<typeof NoFlyZone>;

export const Warning = Type.Object(
  {
    id: Id,
    title: Text(80),
    lang: Type.Union([Type.Literal('zh-CN'), Type.Literal('en')]),
    text: Text(500),
  },
  { additionalProperties: false },
);
export type Warning = Static<typeof Warning>;

export const ROLES = ['operator', 'chief', 'engineer'] as const;
export type Role = (typeof ROLES)[number];

export const User = Type.Object(
  {
    username: Type.String({ pattern: '^[a-z][a-z0-9._-]{1,31}$' }),
    displayName: Text(80),
    role: Type.Union(ROLES.map((r) => Type.Literal(r))),
    /** scrypt hash, see site/secrets.ts; never the password itself. */
    passwordHash: Type.String({ pattern: '^scrypt\\$' }),
  },
  { additionalProperties: false },
);
export type User = Static<typeof User>;

export const SERVICE_IDS = ['control', 'telemetry', 'web'] as const;
export type ServiceId = (typeof SERVICE_IDS)[number];

const SecretHash = Type.String({ pattern: '^(sha256|scrypt)\\$' });

export const Credentials = Type.Object(
  {
    /** MQTT secret hash per device id (username = device id). */
    devices: Type.Record(Type.String({ pattern: DEVICE_ID_PATTERN }), SecretHash),
    /** MQTT secret hash per service identity (username = service id). */
    services: Type.Object(
      Object.fromEntries(SERVICE_IDS.map((s) => [s, SecretHash])) as Record<ServiceId, typeof SecretHash>,
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const SiteFile = Type.Object(
  {
    version: Type.Literal(1),
    site: Type.Object(
      { id: Id, name: Text(120), timezone: Type.Optional(Text(64)) },
      { additionalProperties: false },
    ),
    core: Type.Object({ name: Text(80), shape: Shape }, { additionalProperties: false }),
    rings: Type.Array(Ring, { minItems: 3, maxItems: 3 }),
    warnings: Type.Array(Warning, { minItems: 1 }),
    checkpoints: Type.Array(Checkpoint),
    speakers: Type.Array(FixedSpeaker),
    drones: Type.Array(Drone),
    noFlyZones: Type.Array(NoFlyZone),
    users: Type.Array(User, { minItems: 1 }),
    credentials: Credentials,
  },
  { additionalProperties: false },
);
export type SiteFile = Static<typeof SiteFile>;
