import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { startWorker, type StartSignal } from '../../util/start-worker.ts';
import { answerPeerRequests, type PeerAnswers } from './answer-peer.ts';
import type { FromMetricsThread, MetricsThreadConfig, MetricsThreadData, ToMetricsThread } from './messages.ts';

/** Named bounds; tests may shorten them. */
export interface MetricsThreadTimeouts {
  startMs: number;
  /**
   * A thread that does not answer a scrape within this long is reported as not answering.
   * Prometheus' default scrape timeout is 10 s; 1 s leaves room for several threads and
   * still says "busy" long before a 3 s stall of the main thread ends.
   */
  answerMs: number;
  pingEveryMs: number;
}

export const METRICS_THREAD_TIMEOUTS: MetricsThreadTimeouts = { startMs: 30_000, answerMs: 1_000, pingEveryMs: 1_000 };

export interface MetricsThreadOptions {
  /** 127.0.0.1:port; 0 picks a free one. */
  port: number;
  /** What the main thread serves: control's series and the lag of main, links and fleet; its verdicts of every part. */
  main: PeerAnswers;
  /** A fresh peer port into the broker thread (undefined while it is not running). */
  brokerPort: () => MessagePort | undefined;
  /** Called with a listener for each start of the broker thread after the first (a crash restart). */
  onBrokerRestart: (listener: () => void) => () => void;
  externalBroker: boolean;
  logger: Logger;
  timeouts?: MetricsThreadTimeouts;
}

export interface MetricsThread {
  metricsUrl: string;
  healthUrl: string;
  close(): Promise<void>;
}

/**
 * Starts the metrics thread (system/metrics-thread/worker.ts) and wires it to main and
 * the broker thread. A thread of its own rather than the broker thread: the broker thread
 * is restarted after a crash, and /health must be there exactly then to say the broker is
 * down; nor should serving scrapes add work to the loop that sends PUBACKs.
 */
export async function startMetricsThread(o: MetricsThreadOptions): Promise<MetricsThread> {
  const t = o.timeouts ?? METRICS_THREAD_TIMEOUTS;
  const mainChannel = new MessageChannel();
  const closeMainPeer = answerPeerRequests(mainChannel.port1, o.main, (err) => o.logger.error({ err: err.message }, 'metrics thread: request refused'));
  const brokerPort = o.brokerPort();
  const config: MetricsThreadConfig = { port: o.port, answerMs: t.answerMs, pingEveryMs: t.pingEveryMs, externalBroker: o.externalBroker, logLevel: o.logger.level };
  const data: MetricsThreadData = { config, mainPort: mainChannel.port2, ...(brokerPort ? { brokerPort } : {}) };
  let worker: Worker;
  let ready: Extract<FromMetricsThread, { kind: 'ready' }>;
  try {
    ({ worker, ready } = await startWorker({
      entry: new URL('../threads/worker-entry.mjs', import.meta.url),
      workerData: { module: new URL('./worker.ts', import.meta.url).href, ...data },
      transferList: [mainChannel.port2, ...(brokerPort ? [brokerPort] : [])],
      name: 'the metrics thread',
      startMs: t.startMs,
      parse: (raw): StartSignal<Extract<FromMetricsThread, { kind: 'ready' }>> => {
        const m = raw as FromMetricsThread;
        if (m?.kind === 'ready' && typeof m.metricsUrl === 'string' && typeof m.healthUrl === 'string') return { ready: m };
        if (m?.kind === 'start-failed') return { failed: String(m.message) };
        return undefined;
      },
    }));
  } catch (err) {
    closeMainPeer();
    throw err;
  }
  worker.on('error', (err) => o.logger.error({ err, alert: 'MetricsEndpointDown' }, `metrics thread failed: ${err.message}`));
  // A restarted broker thread is a new thread: hand the metrics thread its new port.
  const offRestart = o.onBrokerRestart(() => {
    const port = o.brokerPort();
    if (port) worker.postMessage({ kind: 'broker-port', port } satisfies ToMetricsThread, [port]);
  });
  return {
    metricsUrl: ready.metricsUrl,
    healthUrl: ready.healthUrl,
    async close() {
      offRestart();
      closeMainPeer();
      // Nothing in it needs a graceful end: the listener goes with the thread.
      await worker.terminate();
    },
  };
}
