import { BudgetedWorker, type WorkerBudget } from '../util/budgeted-worker.ts';
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

/** Time budget per check, checks allowed to wait, and the worker's heap. */
export type SiteValidatorOptions = WorkerBudget;

export const DEFAULT_SITE_VALIDATOR_OPTIONS: SiteValidatorOptions = { budgetMs: 5_000, maxQueued: 4, maxHeapMb: 256 };

/**
 * Site-file checks off the event loop. The process that runs the API also holds the
 * MAVLink links; one large file once blocked it for 19–25 s and every link was declared
 * lost. Checks run one at a time in a budgeted worker (util/budgeted-worker.ts): over the
 * time budget or the heap cap, the check is answered with the limit it hit.
 */
export class SiteValidator {
  private readonly worker: BudgetedWorker<Omit<WorkerJob, 'id'>, WorkerAnswer>;

  constructor(opts: SiteValidatorOptions = DEFAULT_SITE_VALIDATOR_OPTIONS) {
    this.worker = new BudgetedWorker({
      entry: new URL('./validate-worker-entry.mjs', import.meta.url),
      budget: opts,
      doing: 'checking',
      who: 'the validator',
      queueFull: (waiting) => `${waiting} checks are already waiting; try again shortly`,
      budgetHint: 'simplify the file (fewer polygon points)',
    });
  }

  async validate(text: string, file: string): Promise<ValidationOutcome> {
    const r = await this.worker.run({ text, file });
    if (r.kind === 'busy') return r;
    if (r.kind === 'limit') return { kind: 'limit', issues: [{ path: '/', message: r.message }] };
    const a = r.answer;
    if (a.kind === 'crash') return { kind: 'invalid', issues: [{ path: '/', message: `cannot check: ${a.message}` }] };
    return a.kind === 'valid' ? { kind: 'valid', summary: a.summary } : { kind: a.kind, issues: a.issues };
  }

  close(): Promise<void> {
    return this.worker.close();
  }
}
