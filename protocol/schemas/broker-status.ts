import { Type, type Static } from '@sinclair/typebox';
import { DEVICE_ID_PATTERN, serviceTopic } from '../topics.ts';

// Types and schema only (no Node APIs), so the console can import the types; the check
// that parses a payload is in ../broker-status.ts.

/**
 * The broker's own status: published by the broker itself (not by a client), retained,
 * every BROKER_STATUS_INTERVAL_MS and soon after a change. Only the control identity may
 * read it (broker/acl.ts), because it names every device that the broker refused and why;
 * nobody may publish on it (a forged status would hide a flood from the engineer).
 */
export const BROKER_STATUS_TOPIC = serviceTopic('broker', 'status');
/** Everything under this prefix is the broker's own (publish: nobody; read: control). */
export const BROKER_TOPIC_PREFIX = serviceTopic('broker') + '/';

/** A status at least this often, even when nothing changed: its age says the broker is alive. */
export const BROKER_STATUS_INTERVAL_MS = 5000;
/** A status older than this many intervals is stale: the broker (or its publisher) has stopped. */
export const BROKER_STATUS_STALE_INTERVALS = 3;
/**
 * Devices listed per status, those with the most refusals first; the rest are counted in
 * `devicesOmitted`. Keeps the record well under MAX_BROKER_STATUS_BYTES on a large site.
 */
export const MAX_STATUS_DEVICES = 200;
export const MAX_BROKER_STATUS_BYTES = 64 * 1024;

const Count = Type.Integer({ minimum: 0 });
/** Refusal reasons are the broker's (broker/metrics.ts RejectReason); open here so a newer broker can add one. */
const ByReason = Type.Record(Type.String({ pattern: '^[a-z][a-z_]{0,31}$' }), Count, { additionalProperties: false });

export const BrokerHealth = Type.Object(
  {
    status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
    /**
     * Why it is degraded (empty when ok), as codes with a figure so that a console can say
     * it in its own language: `shed` deliveries shed to slow subscribers, `capped`
     * connections refused at the cap (both since the previous status), `loop_delay` the
     * event loop's p99 delay in ms.
     */
    reasons: Type.Array(Type.Object({ code: Type.String({ pattern: '^[a-z][a-z_]{0,31}$' }), value: Type.Number({ minimum: 0 }) }, { additionalProperties: false }), { maxItems: 10 }),
  },
  { additionalProperties: false },
);
export type BrokerHealth = Static<typeof BrokerHealth>;

export const BrokerStatusRecord = Type.Object(
  {
    /** The broker instance (its aedes id): two brokers of a cluster publish apart. */
    brokerId: Type.String({ minLength: 1, maxLength: 128 }),
    /** When this status was taken, on the broker's clock. */
    tsMs: Type.Integer({ minimum: 0 }),
    startedAtMs: Type.Integer({ minimum: 0 }),
    /** Authenticated clients by identity kind (drone, speaker, sensor, control, telemetry, web). */
    clients: Type.Record(Type.String({ pattern: '^[a-z]{1,32}$' }), Count, { additionalProperties: false }),
    clientsTotal: Count,
    /** Accepted publishes and deliveries since start. */
    messagesIn: Count,
    messagesOut: Count,
    /** Refusals since start by reason (connections, publishes, subscriptions, deliveries shed). */
    rejects: ByReason,
    rejectsTotal: Count,
    /** Refusals since start per device of the site, by reason; only devices with any. */
    devices: Type.Record(Type.String({ pattern: DEVICE_ID_PATTERN }), ByReason, { additionalProperties: false }),
    /** Devices with refusals left out of `devices` (MAX_STATUS_DEVICES). */
    devicesOmitted: Count,
    health: BrokerHealth,
  },
  { additionalProperties: false },
);
export type BrokerStatusRecord = Static<typeof BrokerStatusRecord>;

/**
 * What control says of the broker (GET /api/devices/broker, the engineer's console): its
 * own link to it, and the broker's latest status with its age. Built by control/ops/broker-status.ts.
 */
export interface BrokerView {
  /** Control's connection to the broker (its MqttBus). */
  link: {
    /** Unknown when the bus cannot tell (a test fake). */
    connected: boolean | undefined;
    /** When it last went down or came back, on this clock; absent when it has not changed since control started. */
    changedAtMs?: number;
    changedAgoMs?: number;
  };
  /** The broker's latest status; absent until one has come (an external broker may publish none). */
  status?: BrokerStatusRecord & {
    /** Since the broker took it, on this clock (the broker's stamp; clocks are kept in step, see maxClockAheadMs). */
    ageMs: number;
    /** No status for BROKER_STATUS_STALE_INTERVALS intervals: the broker or its publisher has stopped. */
    stale: boolean;
  };
}
