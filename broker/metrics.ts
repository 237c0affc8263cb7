import { Counter, Gauge, Registry } from 'prom-client';
import { DeviceRejectCounter } from './device-rejects.ts';
import type { IdentityLabel } from './identity.ts';

/**
 * Why a message or connection was refused. Publishes that fail are dropped (never
 * routed) and counted here; the connection stays up.
 */
export type RejectReason =
  | 'auth' // CONNECT refused: unknown user, wrong secret or client id
  | 'will' // CONNECT refused: the will message is not allowed or not valid
  | 'acl' // publish outside the identity's rights
  | 'sys_topic'
  | 'wildcard'
  | 'topic' // unparseable / unknown topic shape
  | 'not_json'
  | 'schema'
  | 'oversize'
  | 'rate' // over the client's rate limit
  | 'slow_consumer' // delivery shed because the subscriber is not reading
  | 'subscribe' // subscription refused by the ACL
  | 'future_ts' // a device payload stamped more than maxClockAheadMs ahead of the broker's clock
  | 'oversize_packet' // a fixed header declared more than the packet size limit: connection closed
  | 'connection_cap' // over the total or per-address connection cap: connection closed
  | 'protocol'; // an MQTT 3.1.1 rule broken at the door: connection closed

/** A point-in-time copy of the broker's counters. */
export interface BrokerMetrics {
  clients: Record<IdentityLabel, number>;
  clientsTotal: number;
  /** Accepted publishes (routed to subscribers). */
  messagesIn: number;
  /** Deliveries written to subscribers. */
  messagesOut: number;
  rejects: Partial<Record<RejectReason, number>>;
  rejectsTotal: number;
  /**
   * Publishes with retain set on a channel that may not be retained (telemetry, event,
   * ack, cmd): routed, but not stored as retained, so they are never replayed.
   */
  retainCleared: number;
}

export class MetricsRegistry {
  private readonly clients: Record<IdentityLabel, number> = { drone: 0, speaker: 0, sensor: 0, control: 0, telemetry: 0, web: 0 };
  private readonly rejects: Partial<Record<RejectReason, number>> = {};
  /** Per device as well, for the engineer's device-health view (via the broker's status). */
  readonly byDevice: DeviceRejectCounter<RejectReason>;
  messagesIn = 0;
  messagesOut = 0;
  retainCleared = 0;

  /** `deviceIds`: the site's devices, the only ids counted per device (bounded whatever clients send). */
  constructor(deviceIds: Iterable<string> = []) {
    this.byDevice = new DeviceRejectCounter(deviceIds, REJECT_REASONS);
  }

  clientConnected(label: IdentityLabel): void {
    this.clients[label]++;
  }

  clientDisconnected(label: IdentityLabel): void {
    this.clients[label] = Math.max(0, this.clients[label] - 1);
  }

  /** Counts a refusal; with the device it concerns, when the broker knows one (see DeviceRejectCounter). */
  reject(reason: RejectReason, deviceId?: string): void {
    this.rejects[reason] = (this.rejects[reason] ?? 0) + 1;
    if (deviceId !== undefined) this.byDevice.add(deviceId, reason);
  }

  snapshot(): BrokerMetrics {
    const clients = { ...this.clients };
    const rejects = { ...this.rejects };
    return {
      clients,
      clientsTotal: Object.values(clients).reduce((a, b) => a + b, 0),
      messagesIn: this.messagesIn,
      messagesOut: this.messagesOut,
      rejects,
      rejectsTotal: Object.values(rejects).reduce((a, b) => a + b, 0),
      retainCleared: this.retainCleared,
    };
  }
}

/**
 * Prometheus series over a broker's counters, read at scrape time (the hot path keeps
 * counting in plain fields). `ringwatch broker --metrics-port` serves it alone;
 * `ringwatch up` merges it with control's and telemetry's on one port.
 */
export function brokerPromRegistry(read: () => BrokerMetrics): Registry {
  const reg = new Registry();
  let m = read();
  new Gauge({
    name: 'ringwatch_broker_clients',
    help: 'Connected clients by identity kind',
    labelNames: ['identity'],
    registers: [reg],
    collect() {
      // One snapshot per scrape, taken by the first series collected.
      m = read();
      this.reset();
      for (const [k, v] of Object.entries(m.clients)) this.set({ identity: k }, v);
    },
  });
  const counter = (name: string, help: string, value: () => number) =>
    new Counter({
      name,
      help,
      registers: [reg],
      collect() {
        this.reset();
        this.inc(value());
      },
    });
  counter('ringwatch_broker_messages_in_total', 'Accepted publishes, routed to subscribers', () => m.messagesIn);
  counter('ringwatch_broker_messages_out_total', 'Deliveries written to subscribers', () => m.messagesOut);
  counter('ringwatch_broker_retain_cleared_total', 'Publishes with retain set on a channel that may not be retained: routed, not stored', () => m.retainCleared);
  new Counter({
    name: 'ringwatch_broker_rejects_total',
    help: 'Refused connections, publishes and subscriptions, by reason (auth, acl, schema, rate, slow_consumer, connection_cap, ...)',
    labelNames: ['reason'],
    registers: [reg],
    collect() {
      this.reset();
      // Every reason present from the first scrape, so rate() has a series to work on.
      for (const r of REJECT_REASONS) this.inc({ reason: r }, m.rejects[r] ?? 0);
    },
  });
  return reg;
}

export const REJECT_REASONS: readonly RejectReason[] = [
  'auth', 'will', 'acl', 'sys_topic', 'wildcard', 'topic', 'not_json', 'schema', 'oversize', 'rate',
  'slow_consumer', 'subscribe', 'future_ts', 'oversize_packet', 'connection_cap', 'protocol',
];
