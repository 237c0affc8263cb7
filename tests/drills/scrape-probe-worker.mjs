// A Prometheus stand-in for the main-thread stall drill: on its own thread, so it can
// scrape /metrics and /health while the drill holds the main thread. Told beforehand when
// to scrape (the main thread cannot say so during the block), it records when each
// request started and ended. Plain JavaScript on purpose: no loader to register in the worker.
/* global fetch, AbortSignal */
import { performance } from 'node:perf_hooks';
import { setTimeout } from 'node:timers';
import { parentPort, workerData } from 'node:worker_threads';

const { metricsUrl, healthUrl } = workerData;
// Wall-clock milliseconds comparable across threads (each thread's performance.now() has its own origin).
const nowMs = () => performance.timeOrigin + performance.now();

const get = async (url) => {
  const startMs = nowMs();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    const body = await res.text();
    return { startMs, endMs: nowMs(), status: res.status, body };
  } catch (err) {
    return { startMs, endMs: nowMs(), status: 0, body: '', error: err.message };
  }
};

parentPort.on('message', (m) => {
  if (m?.kind !== 'scrape-at') return;
  setTimeout(async () => {
    const [metrics, health] = await Promise.all([get(metricsUrl), get(healthUrl)]);
    parentPort.postMessage({ kind: 'scraped', metrics, health });
  }, Math.max(0, m.atMs - nowMs()));
});
parentPort.postMessage({ kind: 'started' });
