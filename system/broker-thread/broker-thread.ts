import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { PartHealth } from '../../control/observability/health.ts';
import type { TelemetryHealth } from '../../telemetry/service.ts';
import type { StoreConfig } from '../../telemetry/store/create.ts';
import type { LagSnapshot } from '../../util/event-loop-lag.ts';
import { startWorker, type StartSignal } from '../../util/start-worker.ts';
import { WorkerRequests } from '../threads/worker-requests.ts';
import { parseFromBrokerThread, type BrokerPorts, type BrokerThreadConfig, type BrokerThreadReply, type BrokerThreadRequest, type FromBrokerThread, type MetricsJson, type TelemetryStart, type ToBrokerThread } from './messages.ts';
import { stopOrphanInfluxd } from './orphan-influxd.ts';

/** Named bounds; tests shorten the restart ones. */
export interface BrokerThreadTimeouts {
  /** Start of the thread up to `ready` (influxd's first start included). */
  startMs: number;
  /** A metrics or lag request the thread does not answer in this long is left out of the scrape. */
  requestMs: number;
  /** The thread's own close (telemetry drain, influxd stop, broker) before it is terminated. */
  closeMs: number;
  /** Telemetry's drain bound inside that close. */
  drainMs: number;
  /** No health report for this long while running: the broker is reported degraded (thread stalled). */
  silentMs: number;
  /** Restart backoff after the thread dies: first wait, doubling up to the maximum. */
  restartInitialMs: number;
  restartMaxMs: number;
  /** A thread that ran this long starts the backoff afresh when it dies. */
  stableMs: number;
}

export const BROKER_THREAD_TIMEOUTS: BrokerThreadTimeouts = {
  startMs: 120_000,
  requestMs: 2_000,
  closeMs: 25_000,
  drainMs: 10_000,
  silentMs: 5_000,
  restartInitialMs: 1_000,
  restartMaxMs: 30_000,
  stableMs: 60_000,
};

/** A change worth telling the console about (ringwatch up's service-health event). */
export interface ThreadHealthEvent {
  service: 'broker' | 'telemetry';
  status: 'ok' | 'degraded' | 'down';
  reasons: string[];
  event: string;
  tsMs: number;
}

export interface BrokerThread {
  /** Our broker's ports; absent with an external broker. Fixed for the life of the stack: a restarted thread binds the same. */
  readonly ports: BrokerPorts | undefined;
  /** How telemetry came up at the first start. */
  readonly telemetryStart: TelemetryStart;
  /** Where the API's history reads (the thread's influxd, or the configured store); absent when telemetry did not start. */
  readonly historyStore: StoreConfig | undefined;
  brokerHealth(): PartHealth;
  telemetryHealth(): Pick<TelemetryHealth, 'status' | 'reasons'> & Partial<TelemetryHealth>;
  /** The thread's Prometheus series (broker, telemetry) as prom-client JSON; undefined when it does not answer in time. */
  metrics(): Promise<MetricsJson | undefined>;
  lag(): Promise<LagSnapshot | undefined>;
  onHealthEvent(listener: (e: ThreadHealthEvent) => void): () => void;
  /** A new port on which the running thread answers the metrics thread (undefined while it is not running); transfer it there. */
  metricsPeerPort(): MessagePort | undefined;
  /** Called after each restart of the thread (not the first start): a metrics peer port must be handed again. */
  onRestarted(listener: () => void): () => void;
  /** Telemetry drains and influxd stops inside the thread, then the broker; bounded, then terminated. */
  close(): Promise<void>;
  /** Ends the thread without its close, as an uncaught error would (drills of the restart); it is restarted as after any crash. */
  crash(): Promise<void>;
}

interface Running {
  worker: Worker;
  requests: WorkerRequests<BrokerThreadRequest, BrokerThreadReply>;
  startedMs: number;
}

/**
 * Starts the broker thread (system/broker-thread/worker.ts) and keeps it running: when it
 * dies, the alert BrokerThreadDown is logged, health says the broker is down, any influxd
 * it left behind is stopped, and it is started again on the same ports after a bounded
 * backoff; devices and control reconnect by themselves.
 */
export async function startBrokerThread(config: BrokerThreadConfig, logger: Logger, timeouts: BrokerThreadTimeouts = BROKER_THREAD_TIMEOUTS): Promise<BrokerThread> {
  const listeners = new Set<(e: ThreadHealthEvent) => void>();
  const restartListeners = new Set<() => void>();
  const emit = (e: Omit<ThreadHealthEvent, 'tsMs'>) => {
    for (const l of listeners) l({ ...e, tsMs: Date.now() });
  };
  let current: Running | undefined;
  let lastHeardMs = Date.now();
  let telemetry: TelemetryHealth | undefined;
  let influxdPid: number | undefined;
  let downReason: string | undefined;
  let closing = false;
  let restartTimer: NodeJS.Timeout | undefined;
  let backoffMs = timeouts.restartInitialMs;
  let attempts = 0;

  const first = await spawn(config);
  const ports = first.ready.broker;
  const telemetryStart = first.ready.telemetry;
  if (telemetryStart.ok) {
    telemetry = telemetryStart.health;
    influxdPid = telemetryStart.influxdPid;
  }
  // A restarted thread binds what the first one got, so device URLs and the history client stay valid.
  const restartConfig: BrokerThreadConfig = {
    ...config,
    ...(config.broker && ports ? { broker: { ...config.broker, mqttPort: ports.mqttPort, wsPort: ports.wsPort, ...(config.broker.tls ? { tls: { ...config.broker.tls, mqttsPort: ports.mqttsPort || null, wssPort: ports.wssPort || null } } : {}) } } : {}),
    telemetry: { ...config.telemetry, ...(telemetryStart.ok && telemetryStart.influxdPort ? { influxdPort: telemetryStart.influxdPort } : {}) },
  };
  adopt(first.worker, first.requests);

  async function spawn(cfg: BrokerThreadConfig): Promise<{ worker: Worker; requests: WorkerRequests<BrokerThreadRequest, BrokerThreadReply>; ready: Extract<FromBrokerThread, { kind: 'ready' }> }> {
    const { worker, ready } = await startWorker({
      entry: new URL('../threads/worker-entry.mjs', import.meta.url),
      workerData: { module: new URL('./worker.ts', import.meta.url).href, config: cfg },
      name: 'the broker thread',
      startMs: timeouts.startMs,
      parse: (raw): StartSignal<Extract<FromBrokerThread, { kind: 'ready' }>> => {
        const m = parseFromBrokerThread(raw);
        if (m instanceof Error) return void logger.error({ err: m.message }, 'broker thread: message refused');
        if (m.kind === 'start-failed') return { failed: m.message };
        if (m.kind === 'ready') return { ready: m };
        // influxd may be up before the broker is: known, so a thread that dies now does not leave it running.
        if (m.kind === 'health' && m.influxdPid !== undefined) influxdPid = m.influxdPid;
        return undefined;
      },
    });
    const requests = new WorkerRequests<BrokerThreadRequest, BrokerThreadReply>(worker, (id, request): ToBrokerThread => ({ kind: 'request', id, request }));
    return { worker, requests, ready };
  }

  function adopt(worker: Worker, requests: WorkerRequests<BrokerThreadRequest, BrokerThreadReply>): void {
    current = { worker, requests, startedMs: Date.now() };
    lastHeardMs = Date.now();
    worker.on('message', (raw: unknown) => {
      const m = parseFromBrokerThread(raw);
      if (m instanceof Error) return logger.error({ err: m.message }, 'broker thread: message refused');
      lastHeardMs = Date.now();
      if (m.kind === 'reply') requests.answered(m.id, m.reply);
      else if (m.kind === 'health') {
        if (m.telemetry) telemetry = m.telemetry;
        if (m.influxdPid !== undefined) influxdPid = m.influxdPid;
      } else if (m.kind === 'health-change') {
        telemetry = m.telemetry;
        emit({ service: 'telemetry', status: m.telemetry.status, reasons: m.telemetry.reasons, event: m.event });
      }
    });
    worker.on('error', (err) => logger.error({ err, alert: 'BrokerThreadDown' }, `broker thread failed: ${err.message}`));
    worker.once('exit', (code) => {
      if (current?.worker !== worker) return;
      const ranMs = Date.now() - current.startedMs;
      current = undefined;
      if (closing) return;
      if (ranMs >= timeouts.stableMs) {
        backoffMs = timeouts.restartInitialMs;
        attempts = 0;
      }
      downReason = `the broker thread exited (code ${code}); restarting`;
      logger.error({ alert: 'BrokerThreadDown', code, ranMs }, `${downReason} in ${backoffMs} ms (devices reconnect when it is back)`);
      emit({ service: 'broker', status: 'down', reasons: [downReason], event: 'broker thread exited' });
      scheduleRestart();
    });
  }

  function scheduleRestart(): void {
    const waitMs = backoffMs;
    backoffMs = Math.min(backoffMs * 2, timeouts.restartMaxMs);
    restartTimer = setTimeout(() => void restart(), waitMs);
  }

  async function restart(): Promise<void> {
    restartTimer = undefined;
    if (closing) return;
    attempts++;
    if (influxdPid !== undefined) {
      const pid = influxdPid;
      influxdPid = undefined;
      const how = await stopOrphanInfluxd(pid);
      if (how !== 'gone') logger.warn({ pid, how }, 'stopped the influxd the broker thread left behind');
    }
    try {
      const next = await spawn(restartConfig);
      if (closing) {
        await closeWorker(next.worker, next.requests);
        return;
      }
      if (next.ready.telemetry.ok) {
        telemetry = next.ready.telemetry.health;
        influxdPid = next.ready.telemetry.influxdPid;
      }
      adopt(next.worker, next.requests);
      downReason = undefined;
      logger.warn({ attempts }, 'broker thread running again');
      emit({ service: 'broker', status: 'ok', reasons: [], event: 'broker thread restarted' });
      for (const l of restartListeners) l();
    } catch (err) {
      downReason = `the broker thread does not start again: ${(err as Error).message}; retrying`;
      logger.error({ alert: 'BrokerThreadDown', err, attempts }, `${downReason} in ${backoffMs} ms`);
      scheduleRestart();
    }
  }

  async function closeWorker(worker: Worker, requests: WorkerRequests<BrokerThreadRequest, BrokerThreadReply>): Promise<void> {
    const reply = await requests.ask({ what: 'close', drainTimeoutMs: timeouts.drainMs }, timeouts.closeMs);
    if (reply?.what !== 'closed') {
      logger.error({ reply }, 'the broker thread did not close in time; terminating it');
      if (influxdPid !== undefined) await stopOrphanInfluxd(influxdPid);
    }
    await worker.terminate();
  }

  const ask = async (request: BrokerThreadRequest): Promise<BrokerThreadReply | undefined> => (current ? current.requests.ask(request, timeouts.requestMs) : undefined);

  return {
    ports,
    telemetryStart,
    historyStore: telemetryStart.ok ? telemetryStart.historyStore : undefined,
    brokerHealth() {
      if (!current) return { status: 'down', reasons: [downReason ?? 'the broker thread is not running'] };
      const silentMs = Date.now() - lastHeardMs;
      // Served by the thread while we run; a thread that stops reporting is stuck, not gone.
      if (silentMs > timeouts.silentMs) return { status: 'degraded', reasons: [`the broker thread has not reported for ${Math.round(silentMs / 1000)} s`] };
      return { status: 'ok', reasons: [] };
    },
    telemetryHealth() {
      if (!telemetryStart.ok) return { status: 'degraded', reasons: [telemetryStart.reason] };
      if (!current) return { status: 'degraded', reasons: ['telemetry runs in the broker thread, which is restarting'] };
      return telemetry ?? { status: 'degraded', reasons: ['telemetry has not reported yet'] };
    },
    async metrics() {
      const r = await ask({ what: 'metrics' });
      return r?.what === 'metrics' ? r.metrics : undefined;
    },
    async lag() {
      const r = await ask({ what: 'lag' });
      return r?.what === 'lag' ? r.lag : undefined;
    },
    onHealthEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    metricsPeerPort() {
      if (!current) return undefined;
      const { port1, port2 } = new MessageChannel();
      current.worker.postMessage({ kind: 'metrics-peer', port: port2 } satisfies ToBrokerThread, [port2]);
      return port1;
    },
    onRestarted(listener) {
      restartListeners.add(listener);
      return () => restartListeners.delete(listener);
    },
    async crash() {
      await current?.worker.terminate();
    },
    async close() {
      closing = true;
      clearTimeout(restartTimer);
      const c = current;
      current = undefined;
      if (c) await closeWorker(c.worker, c.requests);
      else if (influxdPid !== undefined) await stopOrphanInfluxd(influxdPid);
    },
  };
}
