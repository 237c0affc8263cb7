import { Type, type Static } from '@sinclair/typebox';
import { DEVICE_ID_PATTERN, SENSOR_EVENT_TYPES, Severity, type DeviceKind } from '../../protocol/index.ts';
import type { DroneFault } from '../drone/types.ts';
import { SENSOR_FAULTS } from '../sensor/device.ts';
import { SPEAKER_FAULTS } from '../speaker/device.ts';
import { SimError } from './errors.ts';

export const DRONE_FAULT_KINDS = ['link_loss', 'packet_loss', 'ack_delay', 'ack_drop', 'gps_loss', 'battery_sag', 'mission_reject'] as const;

/** Which fault kinds each device kind accepts. */
export const FAULTS_BY_KIND: Record<DeviceKind, readonly string[]> = {
  drone: DRONE_FAULT_KINDS,
  speaker: SPEAKER_FAULTS,
  sensor: SENSOR_FAULTS,
};

const ALL_FAULT_KINDS = [...new Set([...DRONE_FAULT_KINDS, ...SPEAKER_FAULTS, ...SENSOR_FAULTS])];

/**
 * One fault for one device, as the HTTP API and scenario files both state it. The
 * parameters a kind needs are checked by `checkFaultParams`, which names the field.
 */
export const FaultRequest = Type.Object(
  {
    device: Type.String({ pattern: DEVICE_ID_PATTERN }),
    kind: Type.Union(ALL_FAULT_KINDS.map((k) => Type.Literal(k))),
    /** Simulated seconds until the fault clears by itself; for link_loss and gps_loss, the outage. */
    durationS: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 86_400 })),
    /** packet_loss, ack_drop: share of packets; battery_sag: points of charge lost. */
    pct: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    /** ack_delay: simulated milliseconds. */
    delayMs: Type.Optional(Type.Number({ minimum: 0, maximum: 600_000 })),
    result: Type.Optional(Type.Union([Type.Literal('denied'), Type.Literal('no_space'), Type.Literal('error')])),
    missionType: Type.Optional(Type.Union([Type.Literal('mission'), Type.Literal('fence'), Type.Literal('rally')])),
  },
  { additionalProperties: false },
);
export type FaultRequest = Static<typeof FaultRequest>;

/** A scripted sensor event: at one sensor, or at a checkpoint (its first sensor that emits the type). */
export const EventRequest = Type.Object(
  {
    sensor: Type.Optional(Type.String({ pattern: DEVICE_ID_PATTERN })),
    checkpoint: Type.Optional(Type.String({ pattern: DEVICE_ID_PATTERN })),
    type: Type.Union(SENSOR_EVENT_TYPES.map((t) => Type.Literal(t))),
    severity: Type.Optional(Severity),
    plate: Type.Optional(Type.String({ minLength: 1, maxLength: 16 })),
    watchlist: Type.Optional(Type.String({ maxLength: 64 })),
    crowdCount: Type.Optional(Type.Integer({ minimum: 0 })),
    text: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type EventRequest = Static<typeof EventRequest>;

/** Checks that a fault kind fits the device kind and carries the parameters it needs. */
export function checkFaultParams(req: FaultRequest, kind: DeviceKind): void {
  if (!FAULTS_BY_KIND[kind].includes(req.kind)) {
    throw new SimError('unsupported_fault', `field /kind: a ${kind} accepts ${FAULTS_BY_KIND[kind].join(', ')}; got "${req.kind}"`);
  }
  const need = (field: 'durationS' | 'pct' | 'delayMs') => {
    if (req[field] === undefined) throw new SimError('missing_param', `field /${field}: is required for ${req.kind}`);
  };
  if (req.kind === 'link_loss') need('durationS');
  if (req.kind === 'packet_loss' || req.kind === 'battery_sag') need('pct');
  if (req.kind === 'ack_delay') need('delayMs');
}

/** Maps a checked request to the drone simulator's fault type. */
export function toDroneFault(req: FaultRequest): DroneFault {
  switch (req.kind) {
    case 'link_loss':
      return { kind: 'link_loss', durationS: req.durationS! };
    case 'packet_loss':
      return { kind: 'packet_loss', pct: req.pct! };
    case 'ack_delay':
      return { kind: 'ack_delay', delayMs: req.delayMs! };
    case 'ack_drop':
      return req.pct === undefined ? { kind: 'ack_drop' } : { kind: 'ack_drop', pct: req.pct };
    case 'gps_loss':
      return req.durationS === undefined ? { kind: 'gps_loss' } : { kind: 'gps_loss', durationS: req.durationS };
    case 'battery_sag':
      return { kind: 'battery_sag', pct: req.pct! };
    case 'mission_reject': {
      const f: DroneFault = { kind: 'mission_reject' };
      if (req.result) f.result = req.result;
      if (req.missionType) f.missionType = req.missionType;
      return f;
    }
    default:
      throw new SimError('unsupported_fault', `field /kind: "${req.kind}" is not a drone fault`);
  }
}

/** Faults whose duration the drone itself times (the fleet must not clear them early). */
export function droneTimesItself(req: FaultRequest): boolean {
  return req.kind === 'link_loss' || req.kind === 'gps_loss';
}
