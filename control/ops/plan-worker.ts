import { parentPort, workerData } from 'node:worker_threads';
import type { Site } from '../../site/load.ts';
import { planPatrol } from '../planning/plan.ts';
import type { PlanJob, PlanWorkerAnswer } from './plan-runner.ts';

// The worker side of PlanRunner: the site arrives once, at start; each message plans it
// for one fleet snapshot and clock reading.
const port = parentPort!;
const site = (workerData as { site: Site }).site;
port.on('message', (job: PlanJob) => {
  let answer: PlanWorkerAnswer;
  try {
    answer = { id: job.id, kind: 'plan', plan: planPatrol({ site, ...job.input }) };
  } catch (err) {
    answer = { id: job.id, kind: 'crash', message: (err as Error).message };
  }
  port.postMessage(answer);
});
port.postMessage({ ready: true });
