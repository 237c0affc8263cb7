import { Registry } from 'prom-client';
import { scrapedMetric, type ReportValue } from '../util/scraped-metric.ts';
import type { HealthStatus } from './health.ts';
import type { InfluxdState, InfluxdStatus } from './influxd-supervisor.ts';
import type { DropReason } from './mapping/index.ts';
import type { SpoolStats } from './spool.ts';

/**
 * Health of the ingest pipeline. Counters only grow; gauges are sampled when read.
 * `registry()` serves them, with the service's live state, to Prometheus (`/metrics`).
 */
export class IngestMetrics {
  received = 0;
  accepted = 0;
  readonly dropped: Record<DropReason, number> = { topic: 0, oversize: 0, not_json: 0, schema: 0, ignored: 0 };
  /** Messages acked without being stored because the spool could not write, by measurement. */
  readonly shed: Record<string, number> = {};
  recoveredPoints = 0;
  pointsWritten = 0;
  batchesWritten = 0;
  lastBatchSize = 0;
  maxBatchSize = 0;
  writeErrorsRetryable = 0;
  writeErrorsRejected = 0;
  pointsRejected = 0;
  retries = 0;
  backpressureWaits = 0;
  /** Receive → confirmed write, for the newest point of the last batch. */
  lastWriteLagMs = 0;
  maxWriteLagMs = 0;
  /** Device timestamp → confirmed write (includes device and broker delays). */
  lastEndToEndLagMs = 0;
  private rateWindowStart = Date.now();
  private rateWindowPoints = 0;
  pointsPerS = 0;

  /** Gauges filled in by the service when metrics are read. */
  gauges: { queuedPoints: number; inFlightBatches: number; spoolBytes: number; spoolSegments: number; oldestPendingAgeMs: number } = {
    queuedPoints: 0,
    inFlightBatches: 0,
    spoolBytes: 0,
    spoolSegments: 0,
    oldestPendingAgeMs: 0,
  };

  batchWritten(size: number, newestReceivedMs: number, newestTsMs: number, nowMs: number): void {
    this.pointsWritten += size;
    this.batchesWritten++;
    this.lastBatchSize = size;
    if (size > this.maxBatchSize) this.maxBatchSize = size;
    this.lastWriteLagMs = nowMs - newestReceivedMs;
    if (this.lastWriteLagMs > this.maxWriteLagMs) this.maxWriteLagMs = this.lastWriteLagMs;
    this.lastEndToEndLagMs = nowMs - newestTsMs;
    this.rateWindowPoints += size;
    const elapsed = nowMs - this.rateWindowStart;
    if (elapsed >= 1000) {
      this.pointsPerS = Math.round((this.rateWindowPoints * 1000) / elapsed);
      this.rateWindowStart = nowMs;
      this.rateWindowPoints = 0;
    }
  }

  snapshot(): Record<string, unknown> {
    return {
      received: this.received,
      accepted: this.accepted,
      dropped: { ...this.dropped },
      shed: { ...this.shed },
      recoveredPoints: this.recoveredPoints,
      pointsWritten: this.pointsWritten,
      batchesWritten: this.batchesWritten,
      avgBatchSize: this.batchesWritten ? Math.round(this.pointsWritten / this.batchesWritten) : 0,
      lastBatchSize: this.lastBatchSize,
      maxBatchSize: this.maxBatchSize,
      pointsPerS: this.pointsPerS,
      writeErrors: { retryable: this.writeErrorsRetryable, rejected: this.writeErrorsRejected },
      pointsRejected: this.pointsRejected,
      retries: this.retries,
      backpressureWaits: this.backpressureWaits,
      lagMs: { lastWrite: this.lastWriteLagMs, maxWrite: this.maxWriteLagMs, endToEnd: this.lastEndToEndLagMs },
      ...this.gauges,
    };
  }

  /**
   * A prom-client registry over these counters and the service's live state. The hot
   * path keeps counting in plain fields (one increment per message, no label lookups);
   * each scrape copies them into the registry's metrics.
   */
  registry(live: () => LiveState): Registry {
    const reg = new Registry();
    // A plain number is the unlabelled value; a record is one value per `label`.
    const fromValue = (value: () => number | Record<string, number>, label: string) => (report: ReportValue) => {
      const v = value();
      if (typeof v === 'number') report({}, v);
      else for (const [k, x] of Object.entries(v)) report({ [label]: k }, x);
    };
    const counter = (name: string, help: string, value: () => number | Record<string, number>, label = 'reason') =>
      scrapedMetric('counter', reg, name, help, [label], fromValue(value, label));
    const gauge = (name: string, help: string, value: () => number | Record<string, number>, label = 'reason') =>
      scrapedMetric('gauge', reg, name, help, [label], fromValue(value, label));
    let state = live();
    // One snapshot of the live state per scrape, taken by the first metric collected.
    gauge('ringwatch_telemetry_healthy', 'Service health: 1 ok, 0 degraded (see /health for why)', () => {
      state = live();
      return state.status === 'ok' ? 1 : 0;
    });
    counter('ringwatch_telemetry_messages_received_total', 'MQTT messages received', () => this.received);
    counter('ringwatch_telemetry_messages_accepted_total', 'Messages mapped to points and spooled', () => this.accepted);
    counter('ringwatch_telemetry_messages_dropped_total', 'Messages dropped as bad input, by reason', () => this.dropped);
    counter('ringwatch_telemetry_messages_shed_total', 'Messages acked but not stored because the spool could not write (disk full), by measurement', () => this.shed, 'measurement');
    counter('ringwatch_telemetry_points_recovered_total', 'Points read back from the spool at start', () => this.recoveredPoints);
    counter('ringwatch_telemetry_points_written_total', 'Points confirmed by InfluxDB', () => this.pointsWritten);
    counter('ringwatch_telemetry_batches_written_total', 'Batches confirmed by InfluxDB', () => this.batchesWritten);
    gauge('ringwatch_telemetry_batch_size_last', 'Points in the last batch', () => this.lastBatchSize);
    gauge('ringwatch_telemetry_points_per_second', 'Points written per second', () => this.pointsPerS);
    counter('ringwatch_telemetry_write_errors_total', 'Failed batch writes: retryable (InfluxDB away, retried) or rejected (4xx, dropped)', () => ({ retryable: this.writeErrorsRetryable, rejected: this.writeErrorsRejected }));
    counter('ringwatch_telemetry_points_rejected_total', 'Points InfluxDB refused (4xx), dropped', () => this.pointsRejected);
    counter('ringwatch_telemetry_write_retries_total', 'Batch write retries', () => this.retries);
    gauge('ringwatch_telemetry_write_lag_ms', 'Receive to confirmed write, last batch', () => this.lastWriteLagMs);
    gauge('ringwatch_telemetry_end_to_end_lag_ms', 'Device timestamp to confirmed write, last batch', () => this.lastEndToEndLagMs);
    gauge('ringwatch_telemetry_oldest_pending_age_ms', 'Age of the oldest unwritten point', () => state.gauges.oldestPendingAgeMs);
    gauge('ringwatch_telemetry_queued_points', 'Points waiting to be written (spool depth)', () => state.gauges.queuedPoints);
    gauge('ringwatch_telemetry_spool_bytes', 'Bytes in spool segments on disk', () => state.gauges.spoolBytes);
    gauge('ringwatch_telemetry_spool_segments', 'Spool segment files on disk', () => state.gauges.spoolSegments);
    gauge('ringwatch_telemetry_spool_shedding', '1 while spool appends fail and incoming messages are shed', () => (state.shedding ? 1 : 0));
    counter('ringwatch_telemetry_spool_append_failures_total', 'Spool appends that failed (disk full, I/O error)', () => state.spool.appendFailures);
    counter('ringwatch_telemetry_spool_torn_tails_total', 'Segments whose cut last line was skipped at start', () => state.spool.tornTails);
    counter('ringwatch_telemetry_spool_corrupt_lines_total', 'Spool lines that could not be read back at start', () => state.spool.corruptLines);
    counter('ringwatch_telemetry_backpressure_waits_total', 'Times MQTT acks were held for room', () => this.backpressureWaits);
    gauge('ringwatch_telemetry_store_up', 'InfluxDB answered the last write or probe (1) or not (0)', () => (state.storeReachable === false ? 0 : 1));
    gauge('ringwatch_telemetry_mqtt_connected', 'Connected to the broker', () => (state.mqttConnected ? 1 : 0));
    if (state.influxd) {
      gauge('ringwatch_telemetry_influxd_up', 'Managed influxd running (1) or not (0)', () => (state.influxd?.state === 'running' ? 1 : 0));
      gauge('ringwatch_telemetry_influxd_state', 'Managed influxd state (1 for the current one)', () =>
        Object.fromEntries(INFLUXD_STATES.map((s) => [s, state.influxd?.state === s ? 1 : 0])), 'state');
      counter('ringwatch_telemetry_influxd_restarts_total', 'Managed influxd restarts by the supervisor', () => state.influxd?.restarts ?? 0);
      counter('ringwatch_telemetry_influxd_exits_total', 'Unexpected exits of the managed influxd', () => state.influxd?.exits ?? 0);
    }
    return reg;
  }
}

const INFLUXD_STATES: readonly InfluxdState[] = ['starting', 'running', 'down', 'missing', 'stopped'];

/** What the service reports at scrape time beside the counters. */
export interface LiveState {
  status: HealthStatus;
  gauges: IngestMetrics['gauges'];
  spool: Pick<SpoolStats, 'appendFailures' | 'tornTails' | 'corruptLines'>;
  shedding: boolean;
  storeReachable: boolean | undefined;
  mqttConnected: boolean;
  influxd?: InfluxdStatus;
}
