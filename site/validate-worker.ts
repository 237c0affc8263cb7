import { parentPort } from 'node:worker_threads';
import { ConfigError } from './config-error.ts';
import { SiteLimitError } from './limits.ts';
import { parseSite } from './load.ts';
import type { WorkerAnswer, WorkerJob } from './site-validator.ts';

// The worker side of SiteValidator: parse and check one site file per message.
const port = parentPort!;
port.on('message', (job: WorkerJob) => {
  let answer: WorkerAnswer;
  try {
    const site = parseSite(job.text, job.file);
    answer = { id: job.id, kind: 'valid', summary: { rings: site.rings.length, drones: site.drones.length, speakers: site.speakers.length, checkpoints: site.checkpoints.length } };
  } catch (err) {
    if (err instanceof SiteLimitError) answer = { id: job.id, kind: 'limit', issues: err.issues };
    else if (err instanceof ConfigError) answer = { id: job.id, kind: 'invalid', issues: err.issues };
    else answer = { id: job.id, kind: 'crash', message: (err as Error).message };
  }
  port.postMessage(answer);
});
port.postMessage({ ready: true });
