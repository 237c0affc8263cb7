import { BROKER_STATUS_INTERVAL_MS, BROKER_STATUS_STALE_INTERVALS, BROKER_STATUS_TOPIC, checkBrokerStatus, type BrokerStatusRecord, type BrokerView } from '../../protocol/index.ts';

export type { BrokerView };
import type { InboundRouter } from '../mqtt/inbound-router.ts';

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
