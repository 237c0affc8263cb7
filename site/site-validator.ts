import { Worker } from 'node:worker_threads';
import type { SiteIssue } from './config-error.ts';

export interface WorkerJob {
  id: number;
  text: string;
  file: string;
}

export type SiteSummary = { rings: number; drones: number; speakers: number; checkpoints: number };

export type WorkerAnswer =
  | { id: number; kind: 'valid'; summary: SiteSummary }
  | { id: number; kind: 'invalid'; issues: SiteIssue[] }
  | { id: number; kind: 'limit'; issues: SiteIssue[] }
  | { id: number; kind: 'crash'; message: string };

/** How a check ended: a report on the file, or a refusal that names the limit hit. */
export type ValidationOutcome =
  | { kind: 'valid'; summary: SiteSummary }
  | { kind: 'invalid'; issues: SiteIssue[] }
  | { kind: 'limit'; issues: SiteIssue[] }
  | { kind: 'busy'; message: string };

export interface SiteValidatorOptions {
  /** A check taking longer is abandoned (the worker is terminated) and refused. */
  budgetMs: number;
  /** Checks waiting behind the running one; more are refused as busy. */
  maxQueued: number;
  /** Heap for the worker, so a hostile file exhausts the worker, not the process. */
  maxHeapMb: number;
}

export const DEFAULT_SITE_VALIDATOR_OPTIONS: SiteValidatorOptions = { budgetMs: 5_000, maxQueued: 4, maxHeapMb: 256 };

interface Pending {
  job: WorkerJob;
  resolve: (o: ValidationOutcome) => void;
}

/**
 * Site-file checks off the event loop. The process that runs the API also holds the
 * MAVLink links; one large file once blocked it for 19–25 s and every link was declared
 * lost. Checks run one at a time in a worker thread with a time budget and a heap cap;
 * a check over budget terminates the worker (the next check starts a fresh one) and
 * answers with the limit, and so does a worker that runs out of memory.
 */
export class SiteValidator {
  private worker: Worker | undefined;
  private ready: Promise<Worker> | undefined;
  private readonly queue: Pending[] = [];
  private running = false;
  private nextId = 1;
  private closed = false;

  constructor(private readonly opts: SiteValidatorOptions = DEFAULT_SITE_VALIDATOR_OPTIONS) {}

  validate(text: string, file: string): Promise<ValidationOutcome> {
    if (this.closed) return Promise.resolve({ kind: 'busy', message: 'the validator is shut down' });
    if (this.queue.length >= this.opts.maxQueued) {
      return Promise.resolve({ kind: 'busy', message: `${this.queue.length} checks are already waiting; try again shortly` });
    }
    return new Promise((resolve) => {
      this.queue.push({ job: { id: this.nextId++, text, file }, resolve });
      void this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.resolve({ kind: 'busy', message: 'the validator is shut down' });
    const w = this.worker;
    this.worker = undefined;
    this.ready = undefined;
    await w?.terminate();
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    const next = this.queue.shift();
    if (!next) return;
    this.running = true;
    try {
      next.resolve(await this.run(next.job));
    } finally {
      this.running = false;
      void this.pump();
    }
  }

  private async run(job: WorkerJob): Promise<ValidationOutcome> {
    let worker: Worker;
    try {
      worker = await this.start();
    } catch (err) {
      return { kind: 'busy', message: `cannot start the validator: ${(err as Error).message}` };
    }
    return new Promise<ValidationOutcome>((resolve) => {
      const finish = (o: ValidationOutcome, kill: boolean) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (kill) this.discard(worker);
        resolve(o);
      };
      const timer = setTimeout(
        () => finish({ kind: 'limit', issues: [{ path: '/', message: `checking took longer than ${this.opts.budgetMs} ms, the time budget; simplify the file (fewer polygon points)` }] }, true),
        this.opts.budgetMs,
      );
      const onMessage = (a: WorkerAnswer) => {
        if (a.id !== job.id) return;
        if (a.kind === 'crash') finish({ kind: 'invalid', issues: [{ path: '/', message: `cannot check: ${a.message}` }] }, false);
        else finish(a.kind === 'valid' ? { kind: 'valid', summary: a.summary } : { kind: a.kind, issues: a.issues }, false);
      };
      const onError = (err: Error) => {
        const oom = /heap|memory/i.test(err.message) || (err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY';
        finish({ kind: 'limit', issues: [{ path: '/', message: oom ? `checking needed more than ${this.opts.maxHeapMb} MB, the memory limit` : `the check failed: ${err.message}` }] }, true);
      };
      const onExit = () => finish({ kind: 'limit', issues: [{ path: '/', message: 'the check stopped before answering' }] }, true);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage(job);
    });
  }

  private start(): Promise<Worker> {
    if (this.ready) return this.ready;
    const worker = new Worker(new URL('./validate-worker-entry.mjs', import.meta.url), {
      resourceLimits: { maxOldGenerationSizeMb: this.opts.maxHeapMb },
    });
    // An idle validator must not keep the process alive.
    worker.unref();
    this.worker = worker;
    this.ready = new Promise<Worker>((resolve, reject) => {
      const onReady = (m: { ready?: boolean }) => {
        if (!m.ready) return;
        worker.off('message', onReady);
        worker.off('error', reject);
        resolve(worker);
      };
      worker.on('message', onReady);
      worker.once('error', reject);
    });
    this.ready.catch(() => this.discard(worker));
    return this.ready;
  }

  private discard(worker: Worker): void {
    if (this.worker === worker) {
      this.worker = undefined;
      this.ready = undefined;
    }
    void worker.terminate();
  }
}
