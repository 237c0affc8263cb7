import type { InfluxdStatus } from './influxd-supervisor.ts';

/** `ok`: everything flows. `degraded`: ingest runs, but history is late, incomplete or at risk. */
export type HealthStatus = 'ok' | 'degraded';

/** What the telemetry service knows about itself at one instant. */
export interface HealthInputs {
  nowMs: number;
  mqttConnected: boolean;
  /** The store's reachability as last seen by a write or a probe; undefined before the first. */
  store: { reachable: boolean | undefined; schemaReady: boolean; lastError?: string; downSinceMs?: number };
  /** Absent when the store is external (--influx-url). */
  influxd?: InfluxdStatus;
  /** An append-failure episode (disk full): messages are being shed. */
  shedding?: { reason: string; sinceMs: number; shed: number };
  /** At its byte bound: MQTT acks are held (the broker queues for us). */
  spoolFull: boolean;
  oldestPendingAgeMs: number;
}

export interface HealthVerdict {
  status: HealthStatus;
  /** One sentence per problem, for /health, the log and the console; empty when ok. */
  reasons: string[];
}

/** Unwritten points older than this mean history is falling behind. */
export const STALE_PENDING_MS = 60_000;

/**
 * The service's verdict on itself. Nothing here stops ingest: every reason is a state
 * the service rides out (spooling, restarting, shedding), which an engineer should see.
 */
export function assessHealth(i: HealthInputs): HealthVerdict {
  const reasons: string[] = [];
  const s = (ms: number) => `${Math.round(ms / 1000)} s`;
  if (!i.mqttConnected) reasons.push('not connected to the MQTT broker; the broker queues messages for our session');
  const d = i.influxd;
  if (d && d.state !== 'running') {
    const why = d.lastProblem ? `: ${d.lastProblem}` : '';
    if (d.state === 'missing') reasons.push(`influxd is not installed${why}`);
    else if (d.state === 'starting') reasons.push(`influxd is starting (restarts so far: ${d.restarts})`);
    else if (d.state === 'down') reasons.push(`influxd is down${why}${d.nextStartAtMs !== undefined ? `; restart in ${s(Math.max(0, d.nextStartAtMs - i.nowMs))}` : ''}`);
    else reasons.push('influxd is stopped');
  }
  if (i.store.reachable === false) {
    const since = i.store.downSinceMs !== undefined ? ` for ${s(i.nowMs - i.store.downSinceMs)}` : '';
    reasons.push(`InfluxDB unreachable${since}${i.store.lastError ? ` (${i.store.lastError})` : ''}; points wait in the spool`);
  } else if (!i.store.schemaReady) {
    reasons.push('InfluxDB database not prepared yet; points wait in the spool');
  }
  if (i.shedding) reasons.push(`spool cannot write (${i.shedding.reason}): ${i.shedding.shed} messages shed since ${new Date(i.shedding.sinceMs).toISOString()}`);
  if (i.spoolFull) reasons.push('spool at its size bound: MQTT acks are held and the broker queues for us');
  if (i.oldestPendingAgeMs > STALE_PENDING_MS) reasons.push(`oldest unwritten point is ${s(i.oldestPendingAgeMs)} old`);
  return { status: reasons.length ? 'degraded' : 'ok', reasons };
}
