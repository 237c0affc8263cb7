import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { startInflux, type InfluxdHandle } from './influxd.ts';
import { MqttIngest } from './ingest.ts';
import { mapMessage } from './mapping/index.ts';
import { IngestMetrics } from './metrics.ts';
import { nsToMs } from './points.ts';
import { Spool, type FsyncPolicy } from './spool.ts';
import { createStore, type StoreConfig } from './store/create.ts';
import { durationMs, type RetentionConfig, type TelemetryStore } from './store/types.ts';
import { BatchWriter, type WriterOptions } from './writer.ts';

export interface TelemetryServiceConfig {
  /** Site id (the `site` tag). */
  site: string;
  mqtt: { url: string; username?: string; password: string; clientId?: string };
  /**
   * Where points go. Without a URL (v1 only), a private influxd is started with its data
   * under `dataDir`/influxdb.
   */
  store: StoreConfig;
  /** Project data directory: spool/ and (for a local influxd) influxdb/ live here. */
  dataDir: string;
  retention?: Partial<RetentionConfig>;
  writer?: WriterOptions;
  spool?: { maxBytes?: number; segmentBytes?: number; fsync?: FsyncPolicy; fsyncIntervalMs?: number };
  /** Serve Prometheus metrics on 127.0.0.1:PORT/metrics (0 = any free port). */
  metricsPort?: number;
  /** Publish health (retained) on ringwatch/v1/svc/telemetry/health this often; 0 = never. Default 5 s. */
  healthIntervalMs?: number;
  logger?: Logger;
}

export interface TelemetryService {
  store: TelemetryStore;
  metrics: IngestMetrics;
  influxd: InfluxdHandle | undefined;
  ingest: MqttIngest;
  writer: BatchWriter;
  spool: Spool;
  metricsUrl: string | undefined;
  /** Metrics with gauges refreshed. */
  health(): Record<string, unknown>;
  /** Graceful: stop taking messages, write what is queued (bounded), close everything. */
  close(opts?: { drainTimeoutMs?: number }): Promise<void>;
  /** Crash-like stop for tests: no drain, no DISCONNECT; the spool keeps what was not written. */
  abort(): Promise<void>;
}

export const DRAIN_TIMEOUT_MS = 10_000;
export const HEALTH_TOPIC = 'ringwatch/v1/svc/telemetry/health';
const HEALTH_INTERVAL_MS = 5_000;
/** Points older than this when written missed the CQ's resample window: backfill their buckets. */
const LATE_MS = 15_000;
const BACKFILL_EVERY_MS = 5_000;

export async function startTelemetryService(cfg: TelemetryServiceConfig): Promise<TelemetryService> {
  const logger = cfg.logger ?? pino({ level: 'info' });
  let influxd: InfluxdHandle | undefined;
  let storeCfg = cfg.store;
  if (storeCfg.backend === 'v1' && !storeCfg.url) {
    // Our own influxd runs with auth and a generated admin: its port is open to every
    // process on this host, and it holds the audit trail and the command history.
    influxd = await startInflux({ dataDir: join(cfg.dataDir, 'influxdb'), auth: true });
    storeCfg = { ...storeCfg, url: influxd.url, ...(influxd.credentials ? { username: influxd.credentials.username, password: influxd.credentials.password } : {}) };
    logger.info({ url: influxd.url }, 'started local influxd');
  }
  const cleanup: (() => Promise<void> | void)[] = [];
  if (influxd) cleanup.push(() => influxd.close());
  try {
    const store = createStore(storeCfg, cfg.retention);
    await store.init();
    const metrics = new IngestMetrics();
    const decode = (topic: string, payload: Buffer) => {
      const r = mapMessage(cfg.site, topic, payload);
      return r.ok ? r.point : undefined;
    };
    const { spool, recovered } = Spool.open({ dir: join(cfg.dataDir, 'spool'), decode, ...cfg.spool });
    cleanup.unshift(() => spool.close());
    metrics.recoveredPoints = recovered.length;
    if (recovered.length) logger.info({ points: recovered.length }, 'rewriting points left in the spool');

    // Late points (recovered spool, outage backlog) fall outside the CQ's window.
    let late: { fromMs: number; toMs: number } | undefined;
    const backfill = setInterval(() => {
      if (!late) return;
      const w = late;
      late = undefined;
      store.backfillTracks({ fromMs: w.fromMs, toMs: w.toMs + 1 }).catch((err: unknown) => {
        logger.warn({ err: (err as Error).message }, 'track backfill failed');
      });
    }, BACKFILL_EVERY_MS);
    backfill.unref();
    cleanup.unshift(() => clearInterval(backfill));
    const writer = new BatchWriter(store, spool, metrics, {
      ...cfg.writer,
      onWritten: (entries) => {
        const cutoff = Date.now() - LATE_MS;
        const trackMs = durationMs(cfg.retention?.trackInterval ?? '10s');
        for (const e of entries) {
          if (e.point.measurement !== 'telemetry') continue;
          const t = nsToMs(e.point.timeNs);
          if (t >= cutoff) continue;
          const from = t - (t % trackMs);
          late = late ? { fromMs: Math.min(late.fromMs, from), toMs: Math.max(late.toMs, t) } : { fromMs: from, toMs: t };
        }
        cfg.writer?.onWritten?.(entries);
      },
    });
    cleanup.unshift(() => writer.close());
    writer.enqueue(recovered);

    const ingest = new MqttIngest(
      {
        url: cfg.mqtt.url,
        username: cfg.mqtt.username ?? 'telemetry',
        password: cfg.mqtt.password,
        clientId: cfg.mqtt.clientId ?? 'telemetry:ingest',
        site: cfg.site,
        logger,
      },
      spool,
      writer,
      metrics,
    );
    await ingest.start();
    cleanup.unshift(() => ingest.close());

    const health = () => {
      metrics.gauges = {
        queuedPoints: writer.queued,
        inFlightBatches: writer.inFlightBatches,
        spoolBytes: spool.bytes,
        spoolSegments: spool.stats.segments,
        oldestPendingAgeMs: writer.oldestPendingAgeMs(Date.now()),
      };
      return metrics.snapshot();
    };

    // Operators see ingest health where they see everything else: on the broker.
    const healthEvery = cfg.healthIntervalMs ?? HEALTH_INTERVAL_MS;
    const healthTimer = healthEvery > 0 ? setInterval(() => ingest.publish(HEALTH_TOPIC, JSON.stringify({ tsMs: Date.now(), ...health() }), true), healthEvery) : undefined;
    healthTimer?.unref();

    let metricsUrl: string | undefined;
    let server: Server | undefined;
    if (cfg.metricsPort !== undefined) {
      server = createServer((req, res) => {
        health();
        if (req.url === '/metrics') res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metrics.render());
        else if (req.url === '/health') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(health()));
        else res.writeHead(404).end();
      });
      await new Promise<void>((r) => server!.listen(cfg.metricsPort, '127.0.0.1', r));
      const addr = server.address();
      metricsUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/metrics`;
      cleanup.unshift(() => new Promise<void>((r) => server!.close(() => r())));
    }

    let closed = false;
    const shutdown = async (graceful: boolean, drainTimeoutMs: number) => {
      if (closed) return;
      closed = true;
      if (graceful) {
        await ingest.close();
        const drained = await writer.drain(drainTimeoutMs);
        if (!drained) logger.warn({ queued: writer.queued }, 'closing with unwritten points; they stay in the spool');
      } else {
        await ingest.abort();
      }
      writer.close();
      spool.close();
      clearInterval(backfill);
      if (healthTimer) clearInterval(healthTimer);
      if (server) await new Promise<void>((r) => server!.close(() => r()));
      await store.close();
      if (influxd) await influxd.close();
    };
    return {
      store,
      metrics,
      influxd,
      ingest,
      writer,
      spool,
      metricsUrl,
      health,
      close: (opts = {}) => shutdown(true, opts.drainTimeoutMs ?? DRAIN_TIMEOUT_MS),
      abort: () => shutdown(false, 0),
    };
  } catch (err) {
    for (const c of cleanup) await c();
    throw err;
  }
}
