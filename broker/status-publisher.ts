import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  BROKER_STATUS_INTERVAL_MS,
  BROKER_STATUS_TOPIC,
  MAX_BROKER_STATUS_BYTES,
  MAX_STATUS_DEVICES,
  type BrokerHealth,
  type BrokerStatusRecord,
} from '../protocol/index.ts';
import type { RingwatchBroker } from './create-broker.ts';
import type { BrokerMetrics } from './metrics.ts';

/** How often the publisher looks for a change: a refusal shows in the console within about this. */
export const STATUS_CHECK_MS = 1000;
/** Above this event-loop delay (p99 over the last status period) the broker calls itself degraded. */
export const LOOP_DELAY_DEGRADED_MS = 250;

/** What one status is built from: counters now and at the previous status, and the loop delay between. */
export interface StatusInput {
  brokerId: string;
  nowMs: number;
  startedAtMs: number;
  metrics: BrokerMetrics;
  /** The counters at the previous status (for what happened since); none for the first. */
  previous?: BrokerMetrics;
  deviceRejects: { devices: Record<string, Partial<Record<string, number>>>; omitted: number };
  /** p99 event-loop delay since the previous status, ms. */
  loopDelayP99Ms: number;
}

/**
 * The broker's own health, from what changed since the last status. Pure. Degraded means
 * the broker is still routing but someone is losing messages or waiting: deliveries shed
 * to slow subscribers, connections refused at the cap, or its own event loop behind.
 */
export function brokerHealth(i: Pick<StatusInput, 'metrics' | 'previous' | 'loopDelayP99Ms'>): BrokerHealth {
  const since = (r: 'slow_consumer' | 'connection_cap') => (i.metrics.rejects[r] ?? 0) - (i.previous?.rejects[r] ?? 0);
  const reasons: BrokerHealth['reasons'] = [];
  const shed = since('slow_consumer');
  if (shed > 0) reasons.push({ code: 'shed', value: shed });
  const capped = since('connection_cap');
  if (capped > 0) reasons.push({ code: 'capped', value: capped });
  if (i.loopDelayP99Ms > LOOP_DELAY_DEGRADED_MS) reasons.push({ code: 'loop_delay', value: Math.round(i.loopDelayP99Ms) });
  return { status: reasons.length ? 'degraded' : 'ok', reasons };
}

/** One status record from the broker's counters. Pure. */
export function brokerStatusRecord(i: StatusInput): BrokerStatusRecord {
  const m = i.metrics;
  return {
    brokerId: i.brokerId,
    tsMs: i.nowMs,
    startedAtMs: i.startedAtMs,
    clients: { ...m.clients },
    clientsTotal: m.clientsTotal,
    messagesIn: m.messagesIn,
    messagesOut: m.messagesOut,
    rejects: Object.fromEntries(Object.entries(m.rejects).filter(([, n]) => (n ?? 0) > 0)) as Record<string, number>,
    rejectsTotal: m.rejectsTotal,
    devices: i.deviceRejects.devices as Record<string, Record<string, number>>,
    devicesOmitted: i.deviceRejects.omitted,
    health: brokerHealth(i),
  };
}

/**
 * Whether to publish now: on the interval, or sooner when what the engineer watches has
 * changed (clients came or went, something was refused). Message counts alone are no
 * change: they move all the time. Pure.
 */
export function statusDue(last: BrokerMetrics | undefined, lastAtMs: number, now: BrokerMetrics, nowMs: number, intervalMs: number): boolean {
  if (!last || nowMs - lastAtMs >= intervalMs) return true;
  return now.clientsTotal !== last.clientsTotal || now.rejectsTotal !== last.rejectsTotal;
}

/**
 * The status as it goes on the wire, within MAX_BROKER_STATUS_BYTES (control refuses a
 * larger one): with fewer devices listed, the most refused first, when many devices are
 * refused for many reasons at once. Pure: `build` makes the record for a device limit.
 */
export function statusPayload(build: (deviceLimit: number) => BrokerStatusRecord, maxBytes = MAX_BROKER_STATUS_BYTES): string {
  for (let limit = MAX_STATUS_DEVICES; ; limit = Math.floor(limit / 2)) {
    const json = JSON.stringify(build(limit));
    if (Buffer.byteLength(json) <= maxBytes || limit === 0) return json;
  }
}

export interface StatusPublisherOptions {
  nowMs?: () => number;
  intervalMs?: number;
  checkMs?: number;
}

/**
 * Publishes the broker's status on BROKER_STATUS_TOPIC from inside the broker: retained,
 * so control has it as soon as it subscribes; QoS 0, so no persistent session queues the
 * superseded ones. Whoever runs the broker (this process, a worker, another host) runs
 * this beside it, and control reads it over MQTT like anything else.
 */
export function startStatusPublisher(broker: RingwatchBroker, o: StatusPublisherOptions = {}): { stop(): void } {
  const nowMs = o.nowMs ?? Date.now;
  const intervalMs = o.intervalMs ?? BROKER_STATUS_INTERVAL_MS;
  const startedAtMs = nowMs();
  const loop = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();
  let last: BrokerMetrics | undefined;
  let lastAtMs = 0;
  const tick = () => {
    const metrics = broker.metrics();
    const now = nowMs();
    if (!statusDue(last, lastAtMs, metrics, now, intervalMs)) return;
    // The histogram is in nanoseconds.
    const loopDelayP99Ms = loop.count > 0 ? loop.percentile(99) / 1e6 : 0;
    const previous = last;
    const payload = statusPayload((limit) =>
      brokerStatusRecord({ brokerId: broker.aedes.id, nowMs: now, startedAtMs, metrics, ...(previous ? { previous } : {}), deviceRejects: broker.deviceRejects(limit), loopDelayP99Ms }),
    );
    loop.reset();
    last = metrics;
    lastAtMs = now;
    broker.aedes.publish({ cmd: 'publish', topic: BROKER_STATUS_TOPIC, payload: Buffer.from(payload), qos: 0, retain: true, dup: false }, () => undefined);
  };
  tick();
  const timer = setInterval(tick, o.checkMs ?? STATUS_CHECK_MS);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      loop.disable();
    },
  };
}
