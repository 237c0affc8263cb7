import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { brokerPublishPath, startBrokerServer, type BrokerServer } from '../../broker/index.ts';
import { brokerPromRegistry } from '../../broker/metrics.ts';
import { startTelemetryService, type TelemetryService } from '../../telemetry/service.ts';
import type { StoreConfig } from '../../telemetry/store/create.ts';
import { LagMonitor } from '../../util/event-loop-lag.ts';
import { answerPeerRequests } from '../metrics-thread/answer-peer.ts';
import { parseToBrokerThread, type BrokerThreadConfig, type BrokerThreadReply, type FromBrokerThread, type MetricsJson, type TelemetryStart } from './messages.ts';

// The broker thread of `ringwatch up`: the aedes broker and the telemetry service (with
// its in-process ingest and the supervised influxd) on their own event loop, so nothing
// the API does on the main thread can delay a PUBACK. See broker-thread.ts for the other side.

/** How often the thread reports telemetry health; it is also the main thread's liveness signal. */
const HEALTH_EVERY_MS = 1_000;

const port = parentPort!;
const cfg = (workerData as { config: BrokerThreadConfig }).config;
const logger = pino({ level: cfg.logLevel });
const post = (m: FromBrokerThread) => port.postMessage(m);
const lag = new LagMonitor();

let broker: BrokerServer | undefined;
if (cfg.broker) {
  const b = cfg.broker;
  try {
    broker = await startBrokerServer({
      site: cfg.site,
      host: b.host,
      mqttPort: b.mqttPort,
      wsPort: b.wsPort,
      logger: logger.child({ part: 'broker' }),
      ...(b.tls ? { tls: b.tls } : {}),
      ...(b.maxConnectionsPerAddress ? { limits: { maxConnectionsPerAddress: b.maxConnectionsPerAddress } } : {}),
    });
  } catch (err) {
    post({ kind: 'start-failed', message: `broker did not start: ${(err as Error).message}` });
    lag.close();
    // Nothing else holds the loop open; the thread ends and the main thread reports the failure.
    throw err;
  }
}

let telemetry: TelemetryService | undefined;
let telemetryStart: TelemetryStart;
try {
  const t = cfg.telemetry;
  const brokerLog = logger.child({ part: 'broker' });
  const mqttUrl = t.mqttUrl ?? (broker ? `mqtt://${cfg.broker!.host}:${broker.mqttPort}` : undefined);
  if (t.ingest === 'publish-path' && !broker) throw new Error("ingest 'publish-path' needs our own broker");
  if (t.ingest === 'mqtt' && !mqttUrl) throw new Error("ingest 'mqtt' needs a broker URL");
  if (t.ingest === 'mqtt' && t.password === undefined) throw new Error('no secret for the telemetry service in the secrets file');
  telemetry = await startTelemetryService({
    site: cfg.site.site.id,
    ...(t.ingest === 'publish-path'
      ? { publishPath: brokerPublishPath(broker!.broker, (err) => brokerLog.warn({ err: err.message }, 'telemetry publish failed')) }
      : { mqtt: { url: mqttUrl!, username: 'telemetry', password: t.password!, clientId: 'telemetry:ingest' } }),
    store: t.store,
    dataDir: t.dataDir,
    ...(t.influxdPort ? { influxd: { port: t.influxdPort } } : {}),
    ...(t.metricsPort !== undefined ? { metricsPort: t.metricsPort } : {}),
    logger: logger.child({ part: 'telemetry' }),
  });
  const svc = telemetry;
  // The API's history reads the same database from the main thread, over its own client.
  const historyStore: StoreConfig =
    svc.influxd && t.store.backend === 'v1'
      ? { ...t.store, url: svc.influxd.url, ...(svc.influxd.credentials ? { username: svc.influxd.credentials.username, password: svc.influxd.credentials.password } : {}) }
      : t.store;
  telemetryStart = {
    ok: true,
    historyStore,
    health: svc.health(),
    ...(svc.influxd ? { influxdUrl: svc.influxd.url, influxdPort: svc.influxd.port } : {}),
    ...(svc.influxd?.pid !== undefined ? { influxdPid: svc.influxd.pid } : {}),
    ...(svc.metricsUrl ? { metricsUrl: svc.metricsUrl } : {}),
  };
  svc.onHealthChange((h, event) => post({ kind: 'health-change', telemetry: h, event }));
} catch (err) {
  // History is a convenience, flying is not: the broker serves on without it.
  telemetryStart = { ok: false, reason: `telemetry service did not start: ${(err as Error).message}` };
}

const healthTimer = setInterval(() => {
  const pid = telemetry?.influxd?.pid;
  post({ kind: 'health', ...(telemetry ? { telemetry: telemetry.health() } : {}), ...(pid !== undefined ? { influxdPid: pid } : {}) });
}, HEALTH_EVERY_MS);

const registries = [...(broker ? [brokerPromRegistry(() => broker!.metrics())] : []), ...(telemetry ? [telemetry.promRegistry] : [])];
const metricsJson = async (): Promise<MetricsJson> => (await Promise.all(registries.map((r) => r.getMetricsAsJSON()))).flat();

let closing: Promise<void> | undefined;
const close = (drainTimeoutMs: number) =>
  (closing ??= (async () => {
    clearInterval(healthTimer);
    // Telemetry first (it drains into InfluxDB and stops influxd), then the broker it listens on.
    try {
      await telemetry?.close({ drainTimeoutMs });
    } catch (err) {
      logger.error({ err }, 'stopping telemetry failed');
    }
    await broker?.close();
    lag.close();
  })());

port.on('message', (raw: unknown) => {
  const m = parseToBrokerThread(raw);
  if (m instanceof Error) {
    logger.error({ err: m.message }, 'broker thread: message refused');
    return;
  }
  if (m.kind === 'metrics-peer') {
    // The metrics thread asks here directly, so a busy main thread does not hide the broker's figures.
    answerPeerRequests(
      m.port,
      {
        metrics: metricsJson,
        lag: () => lag.snapshot(),
        health: () => ({ telemetry: telemetry ? telemetry.health() : { status: 'degraded', reasons: [telemetryStart.ok ? 'telemetry has not reported yet' : telemetryStart.reason] } }),
      },
      (err) => logger.error({ err: err.message }, 'broker thread: metrics request refused'),
    );
    return;
  }
  const answer = (reply: BrokerThreadReply) => post({ kind: 'reply', id: m.id, reply });
  const r = m.request;
  if (r.what === 'lag') answer({ what: 'lag', lag: lag.snapshot() });
  else if (r.what === 'metrics')
    metricsJson().then(
      (metrics) => answer({ what: 'metrics', metrics }),
      (err: Error) => answer({ what: 'error', message: err.message }),
    );
  else
    close(r.drainTimeoutMs).then(
      () => {
        answer({ what: 'closed' });
        port.close();
      },
      (err: Error) => answer({ what: 'error', message: err.message }),
    );
});

post({ kind: 'ready', ...(broker ? { broker: { mqttPort: broker.mqttPort, wsPort: broker.wsPort, mqttsPort: broker.mqttsPort, wssPort: broker.wssPort } } : {}), telemetry: telemetryStart });
