import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { assessHealth, type HealthStatus } from './health.ts';
import { prepareInflux, type InfluxdHandle } from './influxd.ts';
import { InfluxdSupervisor, type InfluxdStatus, type RestartBackoff } from './influxd-supervisor.ts';
import { MqttIngest } from './ingest.ts';
import { InprocIngest, type PublishPathSource } from './inproc-ingest.ts';
import type { SheddingState } from './intake.ts';
import type { Registry } from 'prom-client';
import { startMetricsServer, type MetricsServer } from './metrics-server.ts';
import { mapMessage } from './mapping/index.ts';
import { IngestMetrics } from './metrics.ts';
import { nsToMs } from './points.ts';
import { Spool, type FsyncPolicy } from './spool.ts';
import { createStore, type StoreConfig } from './store/create.ts';
import { durationMs, type RetentionConfig, type TelemetryStore } from './store/types.ts';
import { StoreLink } from './store-link.ts';
import { BatchWriter, type WriterOptions } from './writer.ts';

export interface TelemetryServiceConfig {
  /** Site id (the `site` tag). */
  site: string;
  /** Ingest over an MQTT session (any broker). Exactly one of `mqtt` and `publishPath`. */
  mqtt?: { url: string; username?: string; password: string; clientId?: string };
  /** Ingest from a broker in this process, on its publish path (`ringwatch up`): see InprocIngest. */
  publishPath?: PublishPathSource;
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
  /** The managed influxd: a fixed HTTP port (default: a free one) and the supervisor's restart backoff. */
  influxd?: { port?: number; restart?: Partial<RestartBackoff>; binary?: string };
  /** How often the store is probed while unreachable or idle (default 5 s). */
  storeProbeMs?: number;
  logger?: Logger;
}

/** The health record: /health, the retained MQTT health topic, and `onHealthChange`. */
export interface TelemetryHealth extends Record<string, unknown> {
  service: 'telemetry';
  tsMs: number;
  status: HealthStatus;
  reasons: string[];
  influxd?: InfluxdStatus;
  store: ReturnType<StoreLink['state']>;
}

/** Where messages come from: an MQTT session or the in-process broker's publish path. */
export interface IngestSource {
  start(): Promise<void>;
  publish(topic: string, payload: string, retain: boolean, qos?: 0 | 1): void;
  readonly connected: boolean;
  readonly sheddingState: SheddingState | undefined;
  close(): Promise<void>;
  abort(): Promise<void>;
}

export interface TelemetryService {
  store: TelemetryStore;
  metrics: IngestMetrics;
  influxd: InfluxdHandle | undefined;
  /** Keeps the managed influxd running; absent with an external store. */
  supervisor: InfluxdSupervisor | undefined;
  ingest: IngestSource;
  writer: BatchWriter;
  spool: Spool;
  metricsUrl: string | undefined;
  /** The prom-client registry behind `/metrics` (ringwatch up merges it into its one metrics port). */
  promRegistry: Registry;
  /** Counters, gauges, and the verdict (`status`: ok | degraded, with `reasons`). */
  health(): TelemetryHealth;
  /** Called on every change worth an engineer's attention (influxd exit/restart, store lost/back, shedding). */
  onHealthChange(listener: (h: TelemetryHealth, event: string) => void): () => void;
  /** Graceful: stop taking messages, write what is queued (bounded), close everything. */
  close(opts?: { drainTimeoutMs?: number }): Promise<void>;
  /** Crash-like stop for tests: no drain, no DISCONNECT; the spool keeps what was not written. */
  abort(): Promise<void>;
}

export const DRAIN_TIMEOUT_MS = 10_000;
/** Drain bound when InfluxDB is known to be away: waiting longer cannot help, the spool keeps the points. */
const DRAIN_TIMEOUT_STORE_DOWN_MS = 1_000;
/** A DISCONNECT that does not complete in this long is replaced by dropping the socket. */
const MQTT_CLOSE_TIMEOUT_MS = 3_000;
export const HEALTH_TOPIC = 'ringwatch/v1/svc/telemetry/health';
/** Discrete events (influxd exited, restarted; store lost; shedding), QoS 1, not retained. */
export const EVENTS_TOPIC = 'ringwatch/v1/svc/telemetry/events';
const HEALTH_INTERVAL_MS = 5_000;
/** Points older than this when written missed the CQ's resample window: backfill their buckets. */
const LATE_MS = 15_000;
const BACKFILL_EVERY_MS = 5_000;

export async function startTelemetryService(cfg: TelemetryServiceConfig): Promise<TelemetryService> {
  if ((cfg.mqtt === undefined) === (cfg.publishPath === undefined)) throw new Error('telemetry service: give exactly one of mqtt (a broker URL) and publishPath (an in-process broker)');
  const logger = cfg.logger ?? pino({ level: 'info' });
  let influxd: InfluxdHandle | undefined;
  let supervisor: InfluxdSupervisor | undefined;
  let storeCfg = cfg.store;
  const listeners = new Set<(h: TelemetryHealth, event: string) => void>();
  // Set once the service is assembled; events before that are in the log only.
  let announce: ((event: string) => void) | undefined;
  const cleanup: (() => Promise<void> | void)[] = [];
  if (storeCfg.backend === 'v1' && !storeCfg.url) {
    // Our own influxd runs with auth and a generated admin: its port is open to every
    // process on this host, and it holds the audit trail and the command history.
    influxd = await prepareInflux({ dataDir: join(cfg.dataDir, 'influxdb'), auth: true, ...(cfg.influxd?.port ? { port: cfg.influxd.port } : {}), ...(cfg.influxd?.binary ? { binary: cfg.influxd.binary } : {}) });
    storeCfg = { ...storeCfg, url: influxd.url, ...(influxd.credentials ? { username: influxd.credentials.username, password: influxd.credentials.password } : {}) };
    supervisor = new InfluxdSupervisor(influxd, {
      logger: logger.child({ part: 'influxd' }),
      ...(cfg.influxd?.restart ? { backoff: cfg.influxd.restart } : {}),
      onChange: (_status, event) => announce?.(event),
    });
    cleanup.push(() => supervisor!.close());
    // Not fatal when it fails: history is a convenience, ingest spools until influxd runs.
    if (await supervisor.start()) logger.info({ url: influxd.url }, 'started local influxd');
  }
  try {
    const store = createStore(storeCfg, cfg.retention);
    const metrics = new IngestMetrics();
    // The writer is made after the link (it needs it); the link's recovery nudges the writer.
    const writerRef: { current?: BatchWriter } = {};
    const storeLink = new StoreLink(store, {
      logger,
      ...(cfg.storeProbeMs ? { probeMs: cfg.storeProbeMs } : {}),
      onChange: () => {
        const up = storeLink.state().reachable;
        if (up) writerRef.current?.retryNow();
        announce?.(up ? 'InfluxDB reachable' : 'InfluxDB unreachable');
      },
    });
    cleanup.unshift(() => storeLink.close());
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
      prepare: () => storeLink.ensureSchema(),
      onStoreResult: (err) => (err ? storeLink.failed(err) : storeLink.ok()),
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
    writerRef.current = writer;
    cleanup.unshift(() => writer.close());
    writer.enqueue(recovered);

    const onShedding = (reason: string | undefined) => announce?.(reason ? `spool shedding: ${reason}` : 'spool writing again');
    const ingest: IngestSource = cfg.publishPath
      ? new InprocIngest(cfg.publishPath, { site: cfg.site, logger, onShedding }, spool, writer, metrics)
      : new MqttIngest(
          {
            url: cfg.mqtt!.url,
            username: cfg.mqtt!.username ?? 'telemetry',
            password: cfg.mqtt!.password,
            clientId: cfg.mqtt!.clientId ?? 'telemetry:ingest',
            site: cfg.site,
            logger,
            onShedding,
          },
          spool,
          writer,
          metrics,
        );
    // The broker is needed (it is what we ingest from); InfluxDB is not.
    await ingest.start();
    cleanup.unshift(() => ingest.abort());
    storeLink.start();

    const health = (): TelemetryHealth => {
      const nowMs = Date.now();
      metrics.gauges = {
        queuedPoints: writer.queued,
        inFlightBatches: writer.inFlightBatches,
        spoolBytes: spool.bytes,
        spoolSegments: spool.stats.segments,
        oldestPendingAgeMs: writer.oldestPendingAgeMs(nowMs),
      };
      const shedding = ingest.sheddingState;
      const influxdStatus = supervisor?.status();
      const verdict = assessHealth({
        nowMs,
        mqttConnected: ingest.connected,
        store: storeLink.state(),
        ...(influxdStatus ? { influxd: influxdStatus } : {}),
        ...(shedding ? { shedding } : {}),
        spoolFull: spool.full,
        oldestPendingAgeMs: metrics.gauges.oldestPendingAgeMs,
      });
      return {
        service: 'telemetry',
        tsMs: nowMs,
        ...verdict,
        ...(influxdStatus ? { influxd: influxdStatus } : {}),
        store: storeLink.state(),
        spool: { ...spool.stats, shedding: shedding ?? null },
        ...metrics.snapshot(),
      };
    };
    const registry = metrics.registry(() => {
      const h = health();
      return {
        status: h.status,
        gauges: metrics.gauges,
        spool: spool.stats,
        shedding: ingest.sheddingState !== undefined,
        storeReachable: h.store.reachable,
        mqttConnected: ingest.connected,
        ...(h.influxd ? { influxd: h.influxd } : {}),
      };
    });

    // Operators see ingest health where they see everything else: on the broker.
    const publishHealth = () => ingest.publish(HEALTH_TOPIC, JSON.stringify(health()), true);
    announce = (event: string) => {
      const h = health();
      logger.info({ event, status: h.status, reasons: h.reasons }, 'telemetry health changed');
      ingest.publish(EVENTS_TOPIC, JSON.stringify({ tsMs: h.tsMs, service: 'telemetry', event, status: h.status, reasons: h.reasons }), false, 1);
      publishHealth();
      for (const l of listeners) l(h, event);
    };
    const healthEvery = cfg.healthIntervalMs ?? HEALTH_INTERVAL_MS;
    const healthTimer = healthEvery > 0 ? setInterval(publishHealth, healthEvery) : undefined;
    healthTimer?.unref();

    let metricsServer: MetricsServer | undefined;
    if (cfg.metricsPort !== undefined) {
      metricsServer = await startMetricsServer({
        port: cfg.metricsPort,
        metrics: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
        health,
        logger,
      });
      cleanup.unshift(() => metricsServer!.close());
    }
    const metricsUrl = metricsServer?.metricsUrl;

    let closed = false;
    const shutdown = async (graceful: boolean, drainTimeoutMs: number) => {
      if (closed) return;
      closed = true;
      announce = undefined;
      if (graceful) {
        if (!(await within(ingest.close(), MQTT_CLOSE_TIMEOUT_MS))) {
          logger.warn('MQTT disconnect did not complete; dropping the connection');
          await within(ingest.abort(), MQTT_CLOSE_TIMEOUT_MS);
        }
        const bound = storeLink.state().reachable === false ? Math.min(drainTimeoutMs, DRAIN_TIMEOUT_STORE_DOWN_MS) : drainTimeoutMs;
        const drained = await writer.drain(bound);
        if (!drained) logger.warn({ queued: writer.queued }, 'closing with unwritten points; they stay in the spool');
      } else {
        await within(ingest.abort(), MQTT_CLOSE_TIMEOUT_MS);
      }
      writer.close();
      spool.close();
      storeLink.close();
      clearInterval(backfill);
      if (healthTimer) clearInterval(healthTimer);
      if (metricsServer) await metricsServer.close();
      await within(store.close(), MQTT_CLOSE_TIMEOUT_MS);
      // Bounded too: SIGTERM, then SIGKILL after INFLUXD_STOP_TIMEOUT_MS.
      if (supervisor) await supervisor.close();
    };
    return {
      store,
      metrics,
      promRegistry: registry,
      influxd,
      supervisor,
      ingest,
      writer,
      spool,
      metricsUrl,
      health,
      onHealthChange(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      close: (opts = {}) => shutdown(true, opts.drainTimeoutMs ?? DRAIN_TIMEOUT_MS),
      abort: () => shutdown(false, 0),
    };
  } catch (err) {
    for (const c of cleanup) await c();
    throw err;
  }
}

/** Resolves true if `p` settles within `ms`, false otherwise (and never rejects). */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    return await Promise.race([p.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
