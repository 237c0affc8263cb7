import type { Worker } from 'node:worker_threads';
import { startWorker } from '../../util/start-worker.ts';
import { forEachChunk, packChunks } from './chunks.ts';
import { newStampsBuffer } from './heard-stamps.ts';
import type { LagSnapshot } from '../../util/event-loop-lag.ts';
import { DEFAULT_MAX_UNACKED_RX_BYTES, type FromThread, type LinkWorkerData, type ThreadEndpointSpec, type ToThread } from './messages.ts';
import { ThreadStream, type ThreadCarrier } from './thread-stream.ts';

export interface LinkThreadOptions {
  /** Crashes, restarts and endpoint trouble are logged here (default stderr). */
  log?: (line: string) => void;
  /** Backoff before restarting a crashed thread or reopening an endpoint: first delay, doubled each time up to the cap. */
  backoff?: { firstMs: number; maxMs: number };
  /** The thread must say it is ready within this (default 30 s: tsx compiles its files on a cold start). */
  startTimeoutMs?: number;
  /** Inbound bytes the thread posts before the main thread has taken them, at the most (default 8 MiB); more wait in the thread, the oldest dropped. */
  maxUnackedRxBytes?: number;
}

export interface LinkThreadStats {
  /** The thread's own event-loop delay and utilisation (absent until its first report). */
  lag: LagSnapshot | undefined;
  /** Seconds since that report came (a thread that stops reporting is stuck or gone). */
  lagReportAgeS: number | undefined;
  running: boolean;
  restarts: number;
  /** Inbound chunks (datagrams on UDP) and bytes the thread dropped, oldest first, while the main thread took nothing (over every run of the thread). */
  rxDropped: { chunks: number; bytes: number };
  endpoints: number;
}

interface Endpoint {
  spec: ThreadEndpointSpec;
  stream: ThreadStream;
  open: boolean;
  /** Consecutive failed (re)opens, for the backoff. */
  failures: number;
  retry: NodeJS.Timeout | undefined;
  pending: { resolve: (s: ThreadStream) => void; reject: (e: Error) => void } | undefined;
}

const DEFAULT_BACKOFF = { firstMs: 250, maxMs: 10_000 };
/** A thread that ran this long before crashing starts its backoff afresh. */
const HEALTHY_RUN_MS = 30_000;
const CLOSE_GRACE_MS = 3000;

/**
 * One worker thread carrying the MAVLink endpoints of a control service (issue 15: one
 * heavy API request once stalled every link for 19–25 s, and all drones were declared
 * lost). The sockets, the peer-pinning gates and the GCS heartbeats run on the thread's
 * own event loop; the main thread sees each endpoint as a ThreadStream. A thread that
 * crashes is logged and started again after a bounded backoff, and every endpoint is
 * reopened on it; the streams (and the links on them) live on across the restart.
 */
export class LinkThread implements ThreadCarrier {
  private worker: Worker | undefined;
  private readonly endpoints = new Map<number, Endpoint>();
  private nextId = 1;
  private txIds: number[] = [];
  private txChunks: Buffer[] = [];
  private txQueued = false;
  private lag: LagSnapshot | undefined;
  private lagAtMs: number | undefined;
  private restarts = 0;
  /** Dropped inbound by threads that have since ended, and by the running one (its own count from 0). */
  private rxDroppedBefore = { chunks: 0, bytes: 0 };
  private rxDroppedNow = { chunks: 0, bytes: 0 };
  private crashesInRow = 0;
  private startedAtMs = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private exited: Promise<void> = Promise.resolve();
  private starting: Promise<void> = Promise.resolve();
  private readonly log: (line: string) => void;
  private readonly backoff: { firstMs: number; maxMs: number };

  private constructor(private readonly opts: LinkThreadOptions) {
    this.log = opts.log ?? ((line) => console.warn(line));
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
  }

  static async start(opts: LinkThreadOptions = {}): Promise<LinkThread> {
    const t = new LinkThread(opts);
    try {
      await t.spawn();
    } catch (err) {
      // Never started: nothing to restart.
      t.closing = true;
      throw err;
    }
    return t;
  }

  /**
   * Opens an endpoint in the thread; resolves with its stream once the socket is bound,
   * rejects with the transport's own message (a port in use, a bad host).
   */
  open(spec: Omit<ThreadEndpointSpec, 'stamps'>): Promise<ThreadStream> {
    if (this.closing) return Promise.reject(new Error('the MAVLink link thread is closed'));
    const id = this.nextId++;
    const full: ThreadEndpointSpec = { ...spec, stamps: newStampsBuffer() };
    const stream = new ThreadStream(id, spec.url, this, full.stamps, spec.heartbeat !== undefined);
    return new Promise((resolve, reject) => {
      this.endpoints.set(id, { spec: full, stream, open: false, failures: 0, retry: undefined, pending: { resolve, reject } });
      this.post({ t: 'open', id, spec: full });
    });
  }

  stats(): LinkThreadStats {
    return {
      lag: this.lag,
      lagReportAgeS: this.lagAtMs === undefined ? undefined : (Date.now() - this.lagAtMs) / 1000,
      running: this.worker !== undefined,
      restarts: this.restarts,
      rxDropped: { chunks: this.rxDroppedBefore.chunks + this.rxDroppedNow.chunks, bytes: this.rxDroppedBefore.bytes + this.rxDroppedNow.bytes },
      endpoints: this.endpoints.size,
    };
  }

  /** @internal ThreadStream's writes, sent to the thread together at the end of this task. */
  enqueueTx(id: number, chunk: Buffer): void {
    if (!this.worker) return; // restarting: dropped, as a radio out of range would
    this.txIds.push(id);
    this.txChunks.push(chunk);
    if (this.txQueued) return;
    this.txQueued = true;
    queueMicrotask(() => this.flushTx());
  }

  /** @internal A ThreadStream was destroyed: its endpoint is closed in the thread. */
  release(id: number): void {
    const e = this.endpoints.get(id);
    if (!e) return;
    clearTimeout(e.retry);
    this.endpoints.delete(id);
    this.post({ t: 'close', id });
  }

  /** Ends the thread as a crash would (drills and tests of the restart). */
  simulateCrash(): Promise<number> {
    return this.worker ? this.worker.terminate() : Promise.resolve(0);
  }

  /** Closes every endpoint's socket and ends the thread; the ports are free when this resolves. */
  async close(): Promise<void> {
    if (this.closing) return this.exited;
    this.closing = true;
    clearTimeout(this.restartTimer);
    for (const e of this.endpoints.values()) {
      clearTimeout(e.retry);
      e.pending?.reject(new Error('the MAVLink link thread is closed'));
    }
    await this.starting;
    const w = this.worker;
    if (w) {
      this.flushTx();
      this.post({ t: 'shutdown' });
      const grace = setTimeout(() => void w.terminate(), CLOSE_GRACE_MS);
      await this.exited;
      clearTimeout(grace);
    }
    for (const e of [...this.endpoints.values()]) e.stream.destroy();
  }

  private spawn(): Promise<void> {
    const starting = startWorker({
      entry: new URL('./worker-entry.mjs', import.meta.url),
      // Everything the thread allocates is short-lived (a datagram, a batch): a small young
      // generation is scavenged often and cheaply, and kept the process ~30-80 MiB smaller with
      // 1,000 drones (RSS 224-247 MiB against 260-330 with V8's default) at no measurable CPU cost.
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
      workerData: { maxUnackedRxBytes: this.opts.maxUnackedRxBytes ?? DEFAULT_MAX_UNACKED_RX_BYTES } satisfies LinkWorkerData,
      name: 'the MAVLink link thread',
      startMs: this.opts.startTimeoutMs ?? 30_000,
      parse: (m) => ((m as FromThread).t === 'ready' ? { ready: true } : undefined),
    }).then(async ({ worker }) => {
      if (this.closing) {
        // Closed while it started: it opened no endpoint yet.
        await worker.terminate();
        throw new Error('the MAVLink link thread is closed');
      }
      this.adopt(worker);
    });
    // close() waits for a start in progress, so no thread outlives it.
    this.starting = starting.catch(() => undefined);
    return starting;
  }

  private adopt(worker: Worker): void {
    this.worker = worker;
    this.startedAtMs = Date.now();
    let lastError: Error | undefined;
    this.exited = new Promise((resolve) => {
      worker.on('exit', (code) => {
        if (this.worker === worker) this.worker = undefined;
        resolve();
        if (!this.closing) this.crashed(lastError ? lastError.message : `exit code ${code}`);
      });
    });
    worker.on('error', (err) => {
      lastError = err;
    });
    worker.on('message', (msg: FromThread) => this.onMessage(msg));
  }

  private onMessage(m: FromThread): void {
    switch (m.t) {
      case 'rx':
        forEachChunk(m, (id, chunk) => this.endpoints.get(id)?.stream.deliver(chunk));
        for (const r of m.rejects) this.endpoints.get(r.id)?.stream.refused(r.reason, r.sysid, r.source, r.detail);
        for (const line of m.logs) this.log(line);
        this.post({ t: 'ack', bytes: m.buf.byteLength });
        break;
      case 'opened': {
        const e = this.endpoints.get(m.id);
        if (!e) return;
        e.open = true;
        e.failures = 0;
        e.pending?.resolve(e.stream);
        e.pending = undefined;
        break;
      }
      case 'open_failed':
      case 'ended': {
        const e = this.endpoints.get(m.id);
        if (!e) return;
        e.open = false;
        if (e.pending) {
          // The first open: the caller decides (a service refuses to start on a port in use).
          e.pending.reject(new Error(m.message));
          this.endpoints.delete(m.id);
          return;
        }
        const delayMs = this.delayAfter(e.failures++);
        this.log(`MAVLink ${e.spec.url}: ${m.t === 'ended' ? 'transport ended' : 'could not reopen'} (${m.message}); reopening in ${delayMs} ms`);
        e.retry = setTimeout(() => this.post({ t: 'open', id: m.id, spec: e.spec }), delayMs);
        break;
      }
      case 'stats':
        this.lag = m.lag;
        this.lagAtMs = Date.now();
        this.rxDroppedNow = m.rxDropped;
        break;
      case 'ready':
      case 'bye':
        break;
    }
  }

  private crashed(why: string): void {
    if (Date.now() - this.startedAtMs >= HEALTHY_RUN_MS) this.crashesInRow = 0;
    const delayMs = this.delayAfter(this.crashesInRow++);
    this.lag = undefined;
    this.lagAtMs = undefined;
    this.rxDroppedBefore = { chunks: this.rxDroppedBefore.chunks + this.rxDroppedNow.chunks, bytes: this.rxDroppedBefore.bytes + this.rxDroppedNow.bytes };
    this.rxDroppedNow = { chunks: 0, bytes: 0 };
    this.txIds = [];
    this.txChunks = [];
    for (const e of this.endpoints.values()) {
      e.open = false;
      clearTimeout(e.retry);
      e.pending?.reject(new Error(`the MAVLink link thread stopped: ${why}`));
      e.pending = undefined;
    }
    this.log(`MAVLink link thread stopped (${why}); restarting it in ${delayMs} ms with ${this.endpoints.size} endpoints`);
    this.restartTimer = setTimeout(() => {
      this.spawn().then(
        () => {
          this.restarts++;
          this.log(`MAVLink link thread restarted; reopening ${this.endpoints.size} endpoints`);
          for (const [id, e] of this.endpoints) this.post({ t: 'open', id, spec: e.spec });
        },
        (err: Error) => {
          this.log(`MAVLink link thread: ${err.message}`);
          // A thread that did not come back is a crash of its own (after a run of no length): tried again after a longer wait.
          this.startedAtMs = Date.now();
          if (!this.closing) this.crashed(err.message);
        },
      );
    }, delayMs);
  }

  private delayAfter(failures: number): number {
    return Math.min(this.backoff.maxMs, this.backoff.firstMs * 2 ** Math.min(failures, 20));
  }

  private flushTx(): void {
    this.txQueued = false;
    if (this.txChunks.length === 0) return;
    const batch = packChunks(this.txIds, this.txChunks);
    this.txIds = [];
    this.txChunks = [];
    this.post({ t: 'tx', ...batch }, [batch.buf.buffer as ArrayBuffer]);
  }

  private post(m: ToThread, transfer: ArrayBuffer[] = []): void {
    this.worker?.postMessage(m, transfer);
  }
}
