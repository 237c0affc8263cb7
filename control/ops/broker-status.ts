import { BROKER_STATUS_INTERVAL_MS, BROKER_STATUS_STALE_INTERVALS, BROKER_STATUS_TOPIC, checkBrokerStatus, type BrokerStatusRecord } from '../../protocol/index.ts';
import type { InboundRouter } from '../mqtt/inbound-router.ts';

/** What the engineer sees of the broker: control's own link to it, and what the broker says of itself. */
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

/**
 * The latest broker status and control's link changes, as the engineer's view needs
 * them. Pure: the time of every change and of every view is handed in.
 */
export class BrokerStatusBook {
  private latest: BrokerStatusRecord | undefined;
  private connected: boolean | undefined;
  private changedAtMs: number | undefined;

  constructor(connected: boolean | undefined) {
    this.connected = connected;
  }

  /** A status as received (already checked against its schema). An older one than held is ignored. */
  status(record: BrokerStatusRecord): void {
    if (this.latest && record.brokerId === this.latest.brokerId && record.tsMs < this.latest.tsMs) return;
    this.latest = record;
  }

  /** The link went down or came back; repeats of the same state (mqtt.js retrying) keep the first time. */
  link(connected: boolean, atMs: number): void {
    if (connected === this.connected) return;
    this.connected = connected;
    this.changedAtMs = atMs;
  }

  view(nowMs: number): BrokerView {
    const link: BrokerView['link'] = { connected: this.connected };
    if (this.changedAtMs !== undefined) {
      link.changedAtMs = this.changedAtMs;
      link.changedAgoMs = Math.max(0, nowMs - this.changedAtMs);
    }
    if (!this.latest) return { link };
    const ageMs = Math.max(0, nowMs - this.latest.tsMs);
    return { link, status: { ...this.latest, ageMs, stale: ageMs > BROKER_STATUS_INTERVAL_MS * BROKER_STATUS_STALE_INTERVALS } };
  }
}

/**
 * Follows the broker's status topic through control's one inbound router, and the
 * router's link. The subscription is made in the background: a broker that is down when
 * this starts must not hold the API back (the view then says so).
 */
export function watchBrokerStatus(inbound: InboundRouter, nowMs: () => number, log?: (line: string) => void): { book: BrokerStatusBook; close(): void } {
  const book = new BrokerStatusBook(inbound.connected);
  let closed = false;
  let off: (() => void) | undefined;
  inbound.onConnectionChange((connected) => !closed && book.link(connected, nowMs()));
  inbound
    .onService(BROKER_STATUS_TOPIC, checkBrokerStatus, (record) => !closed && book.status(record))
    .then((o) => (closed ? o() : (off = o)))
    .catch((err: unknown) => log?.(`broker status: could not subscribe to ${BROKER_STATUS_TOPIC}: ${(err as Error).message}`));
  return {
    book,
    close() {
      closed = true;
      off?.();
    },
  };
}
