import type { EventRequest, FaultRequest } from '../fleet/faults.ts';
import type { Scheduler, Task } from '../fleet/scheduler.ts';
import type { Scenario, ScenarioStep } from './load.ts';

/** What a scenario drives; the fleet implements it, tests may fake it. */
export interface ScenarioTarget {
  triggerEvent(sensorId: string, req: EventRequest): void;
  injectFault(req: FaultRequest): Promise<void>;
  /** Applies a fault; a `durationS` is the target's to time (see SimFleet.injectFault). */
  clearFaults(deviceId: string): Promise<void>;
}

export interface StepRecord {
  index: number;
  atS: number;
  /** Real milliseconds after the start when the step ran. */
  ranAtMs: number;
  summary: string;
  error?: string;
}

export interface ScenarioRun {
  readonly records: StepRecord[];
  /** Resolves once every step has run. */
  readonly done: Promise<void>;
  cancel(): void;
}

export interface RunOptions {
  speed: number;
  scheduler: Scheduler;
  nowMs(): number;
  onStep?(rec: StepRecord): void;
}

export function describeStep(step: ScenarioStep): string {
  const a = step.action;
  switch (a.type) {
    case 'event':
      return `event ${a.request.type} at ${a.sensorId}${a.request.checkpoint ? ` (checkpoint ${a.request.checkpoint})` : ''}`;
    case 'fault': {
      const r = a.request;
      const params = [r.pct !== undefined ? `${r.pct}%` : '', r.delayMs !== undefined ? `${r.delayMs}ms` : '', r.durationS !== undefined ? `for ${r.durationS}s` : '']
        .filter(Boolean)
        .join(' ');
      return `fault ${r.kind} on ${r.device}${params ? ' ' + params : ''}`;
    }
    case 'clear':
      return `clear faults on ${a.device}`;
  }
}

/**
 * Plays a scenario's timeline against a target. Steps run strictly in order (an async
 * fault injection finishes before the next step starts); a step that fails is recorded
 * and the timeline carries on, as a field exercise would.
 */
export function runScenario(scenario: Scenario, target: ScenarioTarget, opts: RunOptions): ScenarioRun {
  const records: StepRecord[] = [];
  const startMs = opts.nowMs();
  const tasks: Task[] = [];
  let chain: Promise<void> = Promise.resolve();
  let pending = 0;
  let cancelled = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const settle = () => {
    if (--pending === 0) resolveDone();
  };
  const realMs = (simS: number) => (simS * 1000) / opts.speed;

  const schedule = (simS: number, label: Omit<StepRecord, 'ranAtMs'>, fn: () => Promise<void> | void) => {
    pending++;
    tasks.push(
      opts.scheduler.after(realMs(simS) - (opts.nowMs() - startMs), () => {
        chain = chain.then(async () => {
          const rec: StepRecord = { ...label, ranAtMs: opts.nowMs() - startMs };
          try {
            if (!cancelled) await fn();
          } catch (err) {
            rec.error = (err as Error).message;
          }
          records.push(rec);
          opts.onStep?.(rec);
          settle();
        });
      }),
    );
  };

  pending++; // held until every step is scheduled
  for (const step of scenario.steps) {
    const label = { index: step.index, atS: step.atS, summary: describeStep(step) };
    const a = step.action;
    if (a.type === 'event') schedule(step.atS, label, () => target.triggerEvent(a.sensorId, a.request));
    else if (a.type === 'clear') schedule(step.atS, label, () => target.clearFaults(a.device));
    // A fault's durationS is timed by whoever applies it (the fleet, or the drone itself).
    else schedule(step.atS, label, () => target.injectFault(a.request));
  }
  settle();

  return {
    records,
    done,
    cancel() {
      cancelled = true;
      for (const t of tasks) opts.scheduler.cancel(t);
      pending = 0;
      resolveDone();
    },
  };
}
