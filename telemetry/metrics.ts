import type { DropReason } from './mapping/index.ts';

/**
 * Health of the ingest pipeline. Counters only grow; gauges are sampled when read.
 * `render()` gives the Prometheus text exposition format for `/metrics`.
 */
export class IngestMetrics {
  received = 0;
  accepted = 0;
  readonly dropped: Record<DropReason, number> = { topic: 0, oversize: 0, not_json: 0, schema: 0, ignored: 0 };
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

  render(): string {
    const m: [string, string, number | Record<string, number>, string][] = [
      ['ringwatch_telemetry_messages_received_total', 'counter', this.received, 'MQTT messages received'],
      ['ringwatch_telemetry_messages_accepted_total', 'counter', this.accepted, 'Messages mapped to points and spooled'],
      ['ringwatch_telemetry_messages_dropped_total', 'counter', this.dropped, 'Messages dropped, by reason'],
      ['ringwatch_telemetry_points_recovered_total', 'counter', this.recoveredPoints, 'Points read back from the spool at start'],
      ['ringwatch_telemetry_points_written_total', 'counter', this.pointsWritten, 'Points confirmed by InfluxDB'],
      ['ringwatch_telemetry_batches_written_total', 'counter', this.batchesWritten, 'Batches confirmed by InfluxDB'],
      ['ringwatch_telemetry_batch_size_last', 'gauge', this.lastBatchSize, 'Points in the last batch'],
      ['ringwatch_telemetry_points_per_second', 'gauge', this.pointsPerS, 'Points written per second'],
      ['ringwatch_telemetry_write_errors_total', 'counter', { retryable: this.writeErrorsRetryable, rejected: this.writeErrorsRejected }, 'Failed batch writes'],
      ['ringwatch_telemetry_points_rejected_total', 'counter', this.pointsRejected, 'Points InfluxDB refused (4xx), dropped'],
      ['ringwatch_telemetry_write_lag_ms', 'gauge', this.lastWriteLagMs, 'Receive to confirmed write, last batch'],
      ['ringwatch_telemetry_end_to_end_lag_ms', 'gauge', this.lastEndToEndLagMs, 'Device timestamp to confirmed write, last batch'],
      ['ringwatch_telemetry_oldest_pending_age_ms', 'gauge', this.gauges.oldestPendingAgeMs, 'Age of the oldest unwritten point'],
      ['ringwatch_telemetry_queued_points', 'gauge', this.gauges.queuedPoints, 'Points waiting to be written'],
      ['ringwatch_telemetry_spool_bytes', 'gauge', this.gauges.spoolBytes, 'Bytes in spool segments on disk'],
      ['ringwatch_telemetry_spool_segments', 'gauge', this.gauges.spoolSegments, 'Spool segment files on disk'],
      ['ringwatch_telemetry_backpressure_waits_total', 'counter', this.backpressureWaits, 'Times MQTT acks were held for room'],
    ];
    let out = '';
    for (const [name, type, v, help] of m) {
      out += `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
      if (typeof v === 'number') out += `${name} ${v}\n`;
      else for (const [k, x] of Object.entries(v)) out += `${name}{reason="${k}"} ${x}\n`;
    }
    return out;
  }
}
