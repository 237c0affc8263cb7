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
  messagesIn = 0;
  messagesOut = 0;
  retainCleared = 0;

  clientConnected(label: IdentityLabel): void {
    this.clients[label]++;
  }

  clientDisconnected(label: IdentityLabel): void {
    this.clients[label] = Math.max(0, this.clients[label] - 1);
  }

  reject(reason: RejectReason): void {
    this.rejects[reason] = (this.rejects[reason] ?? 0) + 1;
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
