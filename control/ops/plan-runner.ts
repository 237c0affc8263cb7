import { Worker } from 'node:worker_threads';
import type { Site } from '../../site/load.ts';
import type { PlanInput } from '../planning/plan.ts';
import type { PatrolPlan } from '../planning/types.ts';

/** What a plan needs besides the site, which the worker holds from its start. */
export type PlanJobInput = Omit<PlanInput, 'site'>;

export interface PlanJob {
  id: number;
  input: PlanJobInput;
}

export type PlanWorkerAnswer = { id: number; kind: 'plan'; plan: PatrolPlan } | { id: number; kind: 'crash'; message: string };

/** How a planning request ended: the plan, or a refusal that says why. */
export type PlanOutcome = { kind: 'plan'; plan: PatrolPlan } | { kind: 'limit'; message: string } | { kind: 'busy'; message: string };

export interface PlanRunnerOptions {
  /** A plan taking longer is abandoned (the worker is terminated) and refused. */
  budgetMs: number;
  /** Plans waiting behind the running one; more are refused as busy. */
  maxQueued: number;
  /** Heap for the worker, so a runaway plan exhausts the worker, not the process. */
  maxHeapMb: number;
}

/**
 * The 1,000-drone bench:up site plans in about 0.4 s, 30 times the 12 ms budget of one
 * 25 ms live-event batch; 10 s is far beyond any plan this planner makes for the fleets
 * the site limits allow, so reaching it means something is wrong, not slow.
 */
export const DEFAULT_PLAN_RUNNER_OPTIONS: PlanRunnerOptions = { budgetMs: 10_000, maxQueued: 2, maxHeapMb: 512 };

interface Pending {
  job: PlanJob;
  resolve: (o: PlanOutcome) => void;
}

/**
 * Patrol plans off the API's event loop. A plan for the bench:up site (1,000 drones,
 * 2,000 sensors) once held the main thread of `ringwatch up` for 12–23 s, and every other
 * request waited behind it; even at a fraction of a second it is long enough to stall the
 * console. Plans run one at a time in a worker thread that was handed the site once, with
 * a time budget and a heap cap (as site/site-validator.ts checks site files): a plan over
 * budget terminates the worker (the next plan starts a fresh one) and is refused with the
 * limit, and so is one that runs out of memory.
 */
export class PlanRunner {
  private worker: Worker | undefined;
  private ready: Promise<Worker> | undefined;
  private readonly queue: Pending[] = [];
  private running = false;
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly site: Site,
    private readonly opts: PlanRunnerOptions = DEFAULT_PLAN_RUNNER_OPTIONS,
  ) {}

  plan(input: PlanJobInput): Promise<PlanOutcome> {
    if (this.closed) return Promise.resolve({ kind: 'busy', message: 'the planner is shut down' });
    if (this.queue.length >= this.opts.maxQueued) {
      return Promise.resolve({ kind: 'busy', message: `${this.queue.length + 1} patrol plans are already being made; try again shortly` });
    }
    return new Promise((resolve) => {
      this.queue.push({ job: { id: this.nextId++, input }, resolve });
      void this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.resolve({ kind: 'busy', message: 'the planner is shut down' });
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

  private async run(job: PlanJob): Promise<PlanOutcome> {
    let worker: Worker;
    try {
      worker = await this.start();
    } catch (err) {
      return { kind: 'busy', message: `cannot start the planner: ${(err as Error).message}` };
    }
    return new Promise<PlanOutcome>((resolve) => {
      const finish = (o: PlanOutcome, kill: boolean) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (kill) this.discard(worker);
        resolve(o);
      };
      const timer = setTimeout(() => finish({ kind: 'limit', message: `planning took longer than ${this.opts.budgetMs} ms, the time budget` }, true), this.opts.budgetMs);
      const onMessage = (a: PlanWorkerAnswer) => {
        if (a.id !== job.id) return;
        if (a.kind === 'crash') finish({ kind: 'limit', message: `planning failed: ${a.message}` }, false);
        else finish({ kind: 'plan', plan: a.plan }, false);
      };
      const onError = (err: Error) => {
        const oom = /heap|memory/i.test(err.message) || (err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY';
        finish({ kind: 'limit', message: oom ? `planning needed more than ${this.opts.maxHeapMb} MB, the memory limit` : `planning failed: ${err.message}` }, true);
      };
      const onExit = () => finish({ kind: 'limit', message: 'the planner stopped before answering' }, true);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage(job);
    });
  }

  private start(): Promise<Worker> {
    if (this.ready) return this.ready;
    const worker = new Worker(new URL('./plan-worker-entry.mjs', import.meta.url), {
      workerData: { site: this.site },
      resourceLimits: { maxOldGenerationSizeMb: this.opts.maxHeapMb },
    });
    // An idle planner must not keep the process alive.
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
