import { parentPort, workerData } from 'node:worker_threads';
import { AggregatorRegistry } from 'prom-client';
import { pino } from 'pino';
import { startMetricsServer } from '../../telemetry/metrics-server.ts';
import { LagMonitor, type LagSnapshot } from '../../util/event-loop-lag.ts';
import { threadLagMetrics } from '../../util/thread-lag-metrics.ts';
import type { MetricsJson } from '../broker-thread/messages.ts';
import { assembleHealth } from './assemble-health.ts';
import type { FromMetricsThread, MetricsThreadData, ToMetricsThread } from './messages.ts';
import { PeerLink } from './peer-link.ts';

// The metrics thread of `ringwatch up`: /metrics and /health on their own event loop, so
// a scrape is answered on time while the API holds the main thread (issue 15), and while
// the broker thread restarts. It asks main and the broker thread over a port each, with a
// deadline; a thread that does not answer is shown as ringwatch_thread_answered 0 and its
// figures are left out of that scrape, never repeated from an earlier one.

const port = parentPort!;
const data = workerData as MetricsThreadData;
const cfg = data.config;
const logger = pino({ level: cfg.logLevel }).child({ part: 'metrics' });
const post = (m: FromMetricsThread) => port.postMessage(m);
const refused = (err: Error) => logger.error({ err: err.message }, 'metrics thread: message refused');

const main = new PeerLink(data.mainPort, refused);
let broker = data.brokerPort ? new PeerLink(data.brokerPort, refused) : undefined;
port.on('message', (m: ToMetricsThread) => {
  if (m?.kind !== 'broker-port') return refused(new Error('metrics thread: unknown message from main'));
  broker?.close();
  broker = new PeerLink(m.port, refused);
});

// Main is pinged so /health can say how long it has been silent, scraped or not.
const pingTimer = setInterval(() => void main.ask({ what: 'ping' }, 'pong', cfg.pingEveryMs), cfg.pingEveryMs);
pingTimer.unref();

const ownLag = new LagMonitor();
// ringwatch_thread_answered and the lag families for the threads asked from here; main
// adds the threads it relays (links, fleet) in the same families with its own answer.
const threads = threadLagMetrics();
let round: Map<string, LagSnapshot | undefined> = new Map();
threads.register('main', () => round.get('main'));
threads.register('broker', () => round.get('broker'));
threads.register('metrics', () => ownLag.snapshot());

// Two scrapers at once share one round of asking.
let inflight: Promise<{ contentType: string; body: string }> | undefined;
const exposition = () =>
  (inflight ??= (async () => {
    const [fromMain, fromBroker] = await Promise.all([main.ask({ what: 'metrics' }, 'metrics', cfg.answerMs), broker?.ask({ what: 'metrics' }, 'metrics', cfg.answerMs)]);
    round = new Map([
      ['main', fromMain?.lag],
      ['broker', fromBroker?.lag],
    ]);
    const parts: MetricsJson[] = [await threads.registry.getMetricsAsJSON()];
    if (fromMain) parts.push(fromMain.metrics);
    if (fromBroker) parts.push(fromBroker.metrics);
    // Each family is defined on one side only, except the per-thread ones whose labels differ.
    const merged = AggregatorRegistry.aggregate(parts);
    return { contentType: merged.contentType, body: await merged.metrics() };
  })().finally(() => (inflight = undefined)));

const health = async () => {
  const [fromMain, fromBroker] = await Promise.all([main.ask({ what: 'health' }, 'health', cfg.answerMs), broker?.ask({ what: 'health' }, 'health', cfg.answerMs)]);
  return assembleHealth({ main: fromMain?.parts, mainSilentS: (Date.now() - main.lastHeardMs) / 1000, broker: fromBroker?.parts, externalBroker: cfg.externalBroker });
};

try {
  const server = await startMetricsServer({ port: cfg.port, metrics: exposition, health, logger });
  post({ kind: 'ready', metricsUrl: server.metricsUrl, healthUrl: server.healthUrl });
} catch (err) {
  post({ kind: 'start-failed', message: (err as Error).message });
  clearInterval(pingTimer);
  ownLag.close();
  main.close();
  broker?.close();
}
