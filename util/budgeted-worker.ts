import { Worker } from 'node:worker_threads';

/** The limits of a job worker: per-job time, jobs allowed to wait, heap. */
export interface WorkerBudget {
  /** A job taking longer is abandoned (the worker is terminated) and refused. */
  budgetMs: number;
  /** Jobs waiting behind the running one; more are refused as busy. */
  maxQueued: number;
  /** Heap for the worker, so a hostile or runaway job exhausts the worker, not the process. */
  maxHeapMb: number;
}

/** How a job ended: the worker's answer, a limit it hit, or a refusal before it ran. */
export type BudgetedResult<A> = { kind: 'answer'; answer: A } | { kind: 'limit'; message: string } | { kind: 'busy'; message: string };

export interface BudgetedWorkerOptions {
  /** The worker's .mjs entry (it registers tsx, then loads the body, which posts `{ ready: true }`). */
  entry: URL;
  workerData?: unknown;
  budget: WorkerBudget;
  /** What a job does, for refusals: "checking" → "checking took longer than …". */
  doing: string;
  /** Who does it: "the validator" → "the validator is shut down". */
  who: string;
  /** Said when the queue is full, given how many jobs are ahead. */
  queueFull(waiting: number): string;
  /** Appended to the over-budget refusal: what the user can do about it. */
  budgetHint?: string;
}

interface Pending<P, A> {
  payload: P;
  resolve: (r: BudgetedResult<A>) => void;
}

/**
 * Heavy, input-driven work (checking an uploaded site file, planning 1,000 drones' patrols)
 * off the API's event loop, one job at a time in a worker thread with a time budget and a
 * heap cap. A job over budget terminates the worker (the next job starts a fresh one) and
 * is answered with the limit, and so is one that runs out of memory or kills the worker.
 * Each job is posted as the payload plus an `id`; the worker answers with the same `id`.
 */
export class BudgetedWorker<P extends object, A extends { id: number }> {
  private worker: Worker | undefined;
  private ready: Promise<Worker> | undefined;
  private readonly queue: Pending<P, A>[] = [];
  private running = false;
  private nextId = 1;
  private closed = false;

  constructor(private readonly o: BudgetedWorkerOptions) {}

  run(payload: P): Promise<BudgetedResult<A>> {
    if (this.closed) return Promise.resolve({ kind: 'busy', message: `${this.o.who} is shut down` });
    if (this.queue.length >= this.o.budget.maxQueued) return Promise.resolve({ kind: 'busy', message: this.o.queueFull(this.queue.length) });
    return new Promise((resolve) => {
      this.queue.push({ payload, resolve });
      void this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.resolve({ kind: 'busy', message: `${this.o.who} is shut down` });
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
      next.resolve(await this.runOne(next.payload));
    } finally {
      this.running = false;
      void this.pump();
    }
  }

  private async runOne(payload: P): Promise<BudgetedResult<A>> {
    let worker: Worker;
    try {
      worker = await this.start();
    } catch (err) {
      return { kind: 'busy', message: `cannot start ${this.o.who}: ${(err as Error).message}` };
    }
    const { budgetMs, maxHeapMb } = this.o.budget;
    const id = this.nextId++;
    return new Promise<BudgetedResult<A>>((resolve) => {
      const finish = (r: BudgetedResult<A>, kill: boolean) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (kill) this.discard(worker);
        resolve(r);
      };
      const timer = setTimeout(
        () => finish({ kind: 'limit', message: `${this.o.doing} took longer than ${budgetMs} ms, the time budget${this.o.budgetHint ? `; ${this.o.budgetHint}` : ''}` }, true),
        budgetMs,
      );
      const onMessage = (a: A) => {
        if (a.id === id) finish({ kind: 'answer', answer: a }, false);
      };
      const onError = (err: Error) => {
        const oom = /heap|memory/i.test(err.message) || (err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY';
        finish({ kind: 'limit', message: oom ? `${this.o.doing} needed more than ${maxHeapMb} MB, the memory limit` : `${this.o.doing} failed: ${err.message}` }, true);
      };
      const onExit = () => finish({ kind: 'limit', message: `${this.o.who} stopped before answering` }, true);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage({ ...payload, id });
    });
  }

  private start(): Promise<Worker> {
    if (this.ready) return this.ready;
    const worker = new Worker(this.o.entry, {
      ...(this.o.workerData !== undefined ? { workerData: this.o.workerData } : {}),
      resourceLimits: { maxOldGenerationSizeMb: this.o.budget.maxHeapMb },
    });
    // An idle worker must not keep the process alive.
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
