import { TelemetryError } from './errors.ts';
import type { IngestMetrics } from './metrics.ts';
import { nsToMs } from './points.ts';
import type { Spool, SpoolEntry } from './spool.ts';
import type { TelemetryStore } from './store/types.ts';

export interface WriterOptions {
  /** Points per write request. influxd 1.x is fastest around 5,000. */
  batchSize?: number;
  /** Concurrent write requests. */
  maxInFlight?: number;
  /**
   * Write a partial batch after this long. Longer means bigger batches, and influxd's
   * cost per point falls with batch size (measured: 27 → 20 µs/point going from ~2,000
   * to ~4,000 points per request); 250 ms keeps history fresh enough for the map.
   */
  flushIntervalMs?: number;
  /** Hold MQTT acks (backpressure) above this many unwritten points. */
  maxQueuedPoints?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Called after a batch is confirmed (e.g. to backfill downsampling for late data). */
  onWritten?: (entries: readonly SpoolEntry[]) => void;
  /** Runs before every write attempt (schema set-up while InfluxDB is new or away); a throw is a failed attempt. */
  prepare?: () => Promise<void>;
  /** Every attempt's outcome as far as reachability goes: undefined when the store answered, the error when it may pass. */
  onStoreResult?: (err?: TelemetryError) => void;
}

/** Named defaults; tests pass shorter retry delays. */
export const WRITER_DEFAULTS = {
  batchSize: 5000,
  maxInFlight: 2,
  flushIntervalMs: 250,
  maxQueuedPoints: 200_000,
  retryInitialMs: 250,
  retryMaxMs: 30_000,
} as const;

/**
 * Moves spooled points into the store: batches of `batchSize`, `maxInFlight` requests
 * at a time, retryable failures retried with exponential backoff and jitter (new
 * batches wait meanwhile), 4xx failures dropped and counted. Every confirmed batch is
 * released from the spool.
 */
export class BatchWriter {
  private queue: SpoolEntry[] = [];
  private head = 0;
  private inFlight = 0;
  private retrying = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushDue = false;
  private closed = false;
  /** Batches waiting out a retry delay, each with the function that sends it now. */
  private readonly pendingRetries = new Map<NodeJS.Timeout, () => void>();
  private readonly waiters: (() => void)[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  private readonly o: Required<Omit<WriterOptions, 'onWritten' | 'prepare' | 'onStoreResult'>> & Pick<WriterOptions, 'onWritten' | 'prepare' | 'onStoreResult'>;

  constructor(
    private readonly store: TelemetryStore,
    private readonly spool: Spool,
    private readonly metrics: IngestMetrics,
    opts: WriterOptions = {},
  ) {
    this.o = { ...WRITER_DEFAULTS, ...opts };
  }

  get queued(): number {
    return this.queue.length - this.head;
  }

  get inFlightBatches(): number {
    return this.inFlight;
  }

  /** True while new messages should not be acked: too many points waiting or the spool is full. */
  get backpressured(): boolean {
    return this.queued >= this.o.maxQueuedPoints || this.spool.full;
  }

  oldestPendingAgeMs(nowMs: number): number {
    const e = this.queue[this.head];
    return e ? nowMs - e.receivedMs : 0;
  }

  enqueue(entries: SpoolEntry | readonly SpoolEntry[]): void {
    if (Array.isArray(entries)) for (const e of entries as readonly SpoolEntry[]) this.queue.push(e);
    else this.queue.push(entries as SpoolEntry);
    this.pump();
  }

  /** Resolves when the writer can take more (see `backpressured`). */
  waitForRoom(): Promise<void> {
    if (!this.backpressured || this.closed) return Promise.resolve();
    this.metrics.backpressureWaits++;
    return new Promise((r) => this.waiters.push(r));
  }

  /** Resolves true when everything queued is written, false after `timeoutMs`. */
  drain(timeoutMs: number): Promise<boolean> {
    this.flushDue = true;
    this.pump();
    if (this.idle) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  close(): void {
    this.closed = true;
    // Batches waiting to retry stay in the spool; the next start writes them.
    for (const timer of this.pendingRetries.keys()) clearTimeout(timer);
    this.inFlight -= this.pendingRetries.size;
    this.retrying = Math.max(0, this.retrying - this.pendingRetries.size);
    this.pendingRetries.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.waiters.splice(0)) w();
  }

  private get idle(): boolean {
    return this.queued === 0 && this.inFlight === 0;
  }

  private pump(): void {
    while (!this.closed && this.retrying === 0 && this.inFlight < this.o.maxInFlight && this.queued > 0) {
      if (this.queued < this.o.batchSize && !this.flushDue) break;
      const end = Math.min(this.queue.length, this.head + this.o.batchSize);
      const batch = this.queue.slice(this.head, end);
      this.head = end;
      if (this.head > 100_000 || this.head === this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      this.flushDue = false;
      this.inFlight++;
      void this.send(batch, 0);
    }
    if (!this.closed && this.queued > 0 && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flushDue = true;
        this.pump();
      }, this.o.flushIntervalMs);
    }
    this.notify();
  }

  /**
   * One write attempt of a batch. Attempt 0 is the first try; a retryable failure puts
   * the writer in retry mode (no new batches) until this batch gets through.
   */
  private async send(batch: SpoolEntry[], attempt: number, lastStatus?: number): Promise<void> {
    const leaveRetry = () => {
      if (attempt > 0) this.retrying--;
    };
    if (this.closed && attempt > 0) {
      // Left in the spool: the next start writes them.
      leaveRetry();
      this.inFlight--;
      this.notify();
      return;
    }
    try {
      // The database/bucket vanished (404): create it again before retrying.
      if (lastStatus === 404) await this.store.init();
      await this.o.prepare?.();
      await this.store.write(batch.map((e) => e.point));
      this.o.onStoreResult?.();
      leaveRetry();
      this.done(batch);
    } catch (err) {
      const e = err instanceof TelemetryError ? err : new TelemetryError('TEL_STORE_UNAVAILABLE', String(err), { cause: err });
      if (!e.retryable) {
        // The store refused these points (e.g. a field type conflict, or older than the
        // retention policy); retrying cannot help.
        this.o.onStoreResult?.();
        leaveRetry();
        this.metrics.writeErrorsRejected++;
        this.metrics.pointsRejected += batch.length;
        this.done(batch, false);
        return;
      }
      this.metrics.writeErrorsRetryable++;
      this.o.onStoreResult?.(e);
      if (this.closed) {
        leaveRetry();
        this.inFlight--;
        this.notify();
        return;
      }
      if (attempt === 0) this.retrying++;
      const base = Math.min(this.o.retryMaxMs, this.o.retryInitialMs * 2 ** attempt);
      const fire = () => {
        this.pendingRetries.delete(timer);
        this.metrics.retries++;
        void this.send(batch, attempt + 1, e.status);
      };
      const timer = setTimeout(fire, base / 2 + Math.random() * (base / 2));
      timer.unref();
      this.pendingRetries.set(timer, fire);
    }
  }

  /**
   * The store is back (a probe answered): retry waiting batches now instead of at the
   * end of a backoff that may have grown to `retryMaxMs` during a long outage.
   */
  retryNow(): void {
    for (const [timer, fire] of [...this.pendingRetries]) {
      clearTimeout(timer);
      fire();
    }
  }

  /** The batch is finished: written, or refused for good. Either way the spool lets it go. */
  private done(batch: SpoolEntry[], written = true): void {
    this.inFlight--;
    this.spool.confirm(batch);
    const last = batch[batch.length - 1];
    if (written && last) this.metrics.batchWritten(batch.length, last.receivedMs, nsToMs(last.point.timeNs), Date.now());
    if (written) this.o.onWritten?.(batch);
    this.pump();
  }

  private notify(): void {
    if (!this.backpressured || this.closed) for (const w of this.waiters.splice(0)) w();
    if (this.idle) for (const w of this.idleWaiters.splice(0)) w();
  }
}
