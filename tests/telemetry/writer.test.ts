import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { storeErrorFromStatus } from '../../telemetry/errors.ts';
import { IngestMetrics } from '../../telemetry/metrics.ts';
import { mapMessage } from '../../telemetry/mapping/index.ts';
import type { TelemetryPoint } from '../../telemetry/points.ts';
import { Spool } from '../../telemetry/spool.ts';
import type { TelemetryStore } from '../../telemetry/store/types.ts';
import { BatchWriter } from '../../telemetry/writer.ts';
import { telemetryPayload } from './ingest-helpers.ts';

/** A store whose write outcome the test scripts: the writer's logic without InfluxDB. */
class ScriptedStore {
  batches: TelemetryPoint[][] = [];
  inits = 0;
  failures: (number | undefined)[] = []; // HTTP status per upcoming failed call; undefined = network error
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  hold(): void {
    this.gate = new Promise((r) => (this.open = r));
  }
  release(): void {
    this.open?.();
    this.gate = undefined;
  }
  async init(): Promise<void> {
    this.inits++;
  }
  async write(points: readonly TelemetryPoint[]): Promise<void> {
    if (this.gate) await this.gate;
    if (this.failures.length) throw storeErrorFromStatus(this.failures.shift(), 'scripted failure');
    this.batches.push([...points]);
  }
}

describe('BatchWriter', () => {
  let dir: string;
  let spool: Spool;
  let store: ScriptedStore;
  let metrics: IngestMetrics;
  let writer: BatchWriter;
  const topic = 'ringwatch/v1/drone/drone-1/telemetry';
  const decode = () => undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rw-writer-'));
    spool = Spool.open({ dir, decode }).spool;
    store = new ScriptedStore();
    metrics = new IngestMetrics();
  });
  afterEach(() => {
    writer?.close();
    spool.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const make = (opts: ConstructorParameters<typeof BatchWriter>[3]) =>
    (writer = new BatchWriter(store as unknown as TelemetryStore, spool, metrics, { retryInitialMs: 5, retryMaxMs: 20, flushIntervalMs: 10, ...opts }));
  const feed = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const payload = Buffer.from(telemetryPayload(1000 + i, i));
      const r = mapMessage('lakeside', topic, payload);
      if (!r.ok) throw new Error(r.message);
      writer.enqueue(spool.append({ topic, payload, point: r.point }, Date.now()));
    }
  };
  const written = () => store.batches.flat().map((p) => p.timeNs);

  it('writes full batches at once and the remainder after the flush interval', async () => {
    make({ batchSize: 100, maxInFlight: 2 });
    feed(0, 250);
    expect(await writer.drain(2000)).toBe(true);
    expect(store.batches.map((b) => b.length)).toEqual([100, 100, 50]);
    expect(new Set(written()).size).toBe(250);
    expect(metrics.pointsWritten).toBe(250);
    expect(spool.bytes).toBeLessThan(spool.maxBytes);
  });

  it('retries a retryable failure with backoff until it gets through, writing each point', async () => {
    make({ batchSize: 50 });
    store.failures = [503, undefined, 503];
    feed(0, 120);
    expect(await writer.drain(5000)).toBe(true);
    expect(metrics.writeErrorsRetryable).toBe(3);
    expect(metrics.retries).toBe(3);
    expect(written().sort()).toEqual([...new Set(written())].sort());
    expect(written()).toHaveLength(120);
  });

  it('drops and counts a rejected (4xx) batch; re-creates the schema after a 404', async () => {
    make({ batchSize: 10 });
    store.failures = [400];
    feed(0, 10);
    expect(await writer.drain(2000)).toBe(true);
    expect(metrics).toMatchObject({ writeErrorsRejected: 1, pointsRejected: 10, pointsWritten: 0 });
    store.failures = [404];
    feed(10, 20);
    expect(await writer.drain(2000)).toBe(true);
    expect(store.inits).toBe(1);
    expect(metrics.pointsWritten).toBe(10);
  });

  it('holds new messages (backpressure) while too many points wait, and lets them go when written', async () => {
    make({ batchSize: 10, maxInFlight: 1, maxQueuedPoints: 25 });
    store.hold();
    feed(0, 40);
    expect(writer.backpressured).toBe(true);
    let released = false;
    const room = writer.waitForRoom().then(() => (released = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(released).toBe(false);
    store.release();
    await room;
    expect(metrics.backpressureWaits).toBe(1);
    expect(await writer.drain(2000)).toBe(true);
    expect(written()).toHaveLength(40);
  });
});
