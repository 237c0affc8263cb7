import { BudgetedWorker, type WorkerBudget } from '../../util/budgeted-worker.ts';
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

/** Time budget per plan, plans allowed to wait, and the worker's heap. */
export type PlanRunnerOptions = WorkerBudget;

/**
 * The 1,000-drone bench:up site plans in about 0.4 s, 30 times the 12 ms budget of one
 * 25 ms live-event batch; 10 s is far beyond any plan this planner makes for the fleets
 * the site limits allow, so reaching it means something is wrong, not slow.
 */
export const DEFAULT_PLAN_RUNNER_OPTIONS: PlanRunnerOptions = { budgetMs: 10_000, maxQueued: 2, maxHeapMb: 512 };

/**
 * Patrol plans off the API's event loop. A plan for the bench:up site (1,000 drones,
 * 2,000 sensors) once held the main thread of `ringwatch up` for 12–23 s, and every other
 * request waited behind it; even at a fraction of a second it is long enough to stall the
 * console. Plans run one at a time in a budgeted worker (util/budgeted-worker.ts, as site
 * files are checked) that was handed the site once: over the time budget or the heap cap,
 * the plan is refused with the limit it hit.
 */
export class PlanRunner {
  private readonly worker: BudgetedWorker<Omit<PlanJob, 'id'>, PlanWorkerAnswer>;

  constructor(site: Site, opts: PlanRunnerOptions = DEFAULT_PLAN_RUNNER_OPTIONS) {
    this.worker = new BudgetedWorker({
      entry: new URL('./plan-worker-entry.mjs', import.meta.url),
      workerData: { site },
      budget: opts,
      doing: 'planning',
      who: 'the planner',
      queueFull: (waiting) => `${waiting + 1} patrol plans are already being made; try again shortly`,
    });
  }

  async plan(input: PlanJobInput): Promise<PlanOutcome> {
    const r = await this.worker.run({ input });
    if (r.kind !== 'answer') return r;
    return r.answer.kind === 'crash' ? { kind: 'limit', message: `planning failed: ${r.answer.message}` } : { kind: 'plan', plan: r.answer.plan };
  }

  close(): Promise<void> {
    return this.worker.close();
  }
}
