import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Site } from '../site/load.ts';
import type { SecretsFile } from '../site/secrets-file.ts';
import { mavlinkSigningKeys } from '../site/mavlink-keys.ts';
import type { BrokerTlsOptions } from '../broker/index.ts';
import type { TelemetryHealth } from '../telemetry/service.ts';
import { controlObservability } from '../control/observability/metrics.ts';
import { overallHealth, type ControlHealth, type PartHealth, type PartStatus } from '../control/observability/health.ts';
import { createStore, type StoreConfig } from '../telemetry/store/create.ts';
import type { TelemetryStore } from '../telemetry/store/types.ts';
import { MqttBus } from '../control/mqtt/bus.ts';
import { startControlService, type ControlService } from '../control/service.ts';
import type { Operations } from '../control/ops/operations.ts';
import { startControlApp } from '../control/start-control-app.ts';
import type { HttpServerOptions } from '../control/api/http-options.ts';
import { webMapPlugin, type WebMapOptions } from '../web-map/server/plugin.ts';
import { EventRequest, FaultRequest } from '../simulators/fleet/faults.ts';
import type { Scenario } from '../simulators/scenario/load.ts';
import { BROKER_THREAD_TIMEOUTS, startBrokerThread, type BrokerThread, type BrokerThreadTimeouts } from './broker-thread/broker-thread.ts';
import type { BrokerPorts } from './broker-thread/messages.ts';
import { startFleetThread, type FleetThread } from './fleet-thread/fleet-thread.ts';
import { startMetricsThread } from './metrics-thread/metrics-thread.ts';
import { LagMonitor } from '../util/event-loop-lag.ts';
import { threadLagMetrics } from '../util/thread-lag-metrics.ts';

export interface SystemOptions {
  site: Site;
  /** Plain secrets for our services (and the simulated devices with `sim`). */
  secrets: SecretsFile;
  /** Persistent state: local InfluxDB, telemetry spool, ledger, audit, warning library. */
  dataDir: string;
  host: string;
  /** Ports of what we start; 0 picks free ones. */
  mqttPort: number;
  wsPort: number;
  httpPort: number;
  /** An external broker instead of starting one (any MQTT 3.1.1 broker with the same ACLs, or an aedes cluster). */
  mqttUrl?: string;
  /**
   * mqtts and wss on `host` from certificate files. The plain MQTT and WebSocket
   * listeners then bind loopback only (our services in this process use them), so
   * devices off this machine can only reach the broker over TLS.
   */
  brokerTls?: BrokerTlsOptions;
  /** An external InfluxDB instead of the local influxd. */
  store?: StoreConfig;
  /** Our broker's per-address connection cap (default broker/limits.ts: 1,000). */
  brokerLimits?: { maxConnectionsPerAddress?: number };
  /** Bounds of the broker thread (start, close, restart backoff); tests shorten them. */
  brokerThreadTimeouts?: BrokerThreadTimeouts;
  /**
   * The telemetry service: a fixed port for the managed influxd; /metrics and /health on
   * 127.0.0.1:metricsPort; `ingest`: 'publish-path' (default with our own broker: spooled
   * on the broker's publish path before the PUBACK, see telemetry/inproc-ingest.ts) or
   * 'mqtt' (a QoS 1 session, as `ringwatch telemetry` does; always so with `mqttUrl`).
   */
  telemetry?: { influxdPort?: number; metricsPort?: number; ingest?: 'publish-path' | 'mqtt' };
  /**
   * `/metrics` (every part's series: broker, control, telemetry) and `/health` (a verdict
   * per part) on 127.0.0.1:port; 0 picks a free one; absent: not served. Loopback only,
   * without login, on purpose: see docs/security.md. A port that is taken is logged and
   * the stack runs on without it (watching must not stop flying).
   */
  metricsPort?: number;
  web?: WebMapOptions;
  /** The HTTP server's transport and limits: TLS, timeouts, connection caps, logger. */
  http?: HttpServerOptions;
  /** Start the simulated fleet from the site (drones on their site UDP ports). */
  sim?: { scenario?: Scenario; speed: number; httpPort?: number };
  /** Start ring patrols on every ring once the fleet reports. */
  autoPatrol?: boolean;
  logger: Logger;
}

/**
 * The stack's own verdict, the worst of its parts': `degraded` while a part rides out a
 * fault (flying goes on), `down` when a part cannot do its job (control cut off from the
 * broker). `reasons` names the part in each line.
 */
export interface SystemHealth {
  status: PartStatus;
  reasons: string[];
  services: {
    broker: PartHealth & { external: boolean };
    control: ControlHealth;
    telemetry: Pick<TelemetryHealth, 'status' | 'reasons'> & Partial<TelemetryHealth>;
  };
}

/** The live event (on the API's event stream) that carries a service's health change. */
export const SERVICE_HEALTH_EVENT = 'service-health';

export interface RunningSystem {
  mapUrl: string;
  mqttUrl: string;
  /** http://127.0.0.1:PORT/metrics when `metricsPort` was given and could be bound. */
  metricsUrl?: string;
  /** Our broker's ports (it runs in the broker thread); absent with an external broker. */
  broker?: BrokerPorts;
  /** The broker thread: our broker (if any) and the telemetry service with its influxd. */
  brokerThread: BrokerThread;
  /** The API's history client (query only); absent when the telemetry service did not start. */
  history: TelemetryStore | undefined;
  /** telemetry's own /metrics when `telemetry.metricsPort` was given. */
  telemetryMetricsUrl?: string;
  health(): SystemHealth;
  control: ControlService;
  ops: Operations;
  api: FastifyInstance;
  /** The simulated fleet, in its own thread. */
  fleet?: FleetThread;
  close(): Promise<void>;
}

/**
 * The whole control plane in one process, in dependency order — broker and telemetry
 * (with its own influxd) on the broker thread, the simulators on the fleet thread,
 * control service and operations, the API with the web console on this one — and closed
 * in reverse order, the broker thread last so the telemetry drain lands before influxd
 * stops. Each thread has its own event loop, so a handler that holds this one delays
 * neither a PUBACK nor a simulated device (issue 15; tests/drills/main-thread-stall.test.ts).
 */
export async function startSystem(o: SystemOptions): Promise<RunningSystem> {
  const log = o.logger;
  const closers: { name: string; close: () => Promise<unknown> | unknown }[] = [];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) {
      try {
        // Each part bounds its own close; this bound is the backstop so Ctrl-C always ends.
        if (await settlesWithin(Promise.resolve(c.close()), CLOSE_PART_TIMEOUT_MS)) log.info(`stopped ${c.name}`);
        else log.error(`stopping ${c.name} took over ${CLOSE_PART_TIMEOUT_MS} ms; going on`);
      } catch (err) {
        log.error({ err }, `stopping ${c.name} failed`);
      }
    }
  };
  const secret = (service: string) => {
    const s = o.secrets.services[service];
    if (!s) throw new Error(`no secret for the ${service} service in the secrets file`);
    return s;
  };
  try {
    mkdirSync(o.dataDir, { recursive: true });
    // The broker and telemetry (in-process ingest, influxd supervisor) run on their own
    // thread, so nothing the API does here can delay a PUBACK (issue 15); with an
    // external broker the thread holds telemetry alone.
    const plainHost = o.brokerTls ? '127.0.0.1' : o.host;
    const telemetrySecret = o.secrets.services['telemetry'];
    const brokerThread = await startBrokerThread(
      {
        site: o.site,
        ...(o.mqttUrl
          ? {}
          : {
              broker: {
                host: plainHost,
                mqttPort: o.mqttPort,
                wsPort: o.wsPort,
                ...(o.brokerTls ? { tls: { ...o.brokerTls, host: o.host } } : {}),
                ...(o.brokerLimits?.maxConnectionsPerAddress ? { maxConnectionsPerAddress: o.brokerLimits.maxConnectionsPerAddress } : {}),
              },
            }),
        telemetry: {
          ingest: o.mqttUrl || o.telemetry?.ingest === 'mqtt' ? 'mqtt' : 'publish-path',
          ...(o.mqttUrl ? { mqttUrl: o.mqttUrl } : {}),
          ...(telemetrySecret !== undefined ? { password: telemetrySecret } : {}),
          store: o.store ?? { backend: 'v1' },
          dataDir: join(o.dataDir, 'telemetry'),
          ...(o.telemetry?.influxdPort ? { influxdPort: o.telemetry.influxdPort } : {}),
          ...(o.telemetry?.metricsPort !== undefined ? { metricsPort: o.telemetry.metricsPort } : {}),
        },
        logLevel: log.level,
      },
      log.child({ part: 'broker-thread' }),
      o.brokerThreadTimeouts ?? BROKER_THREAD_TIMEOUTS,
    );
    closers.push({ name: 'broker and telemetry (and its influxd)', close: () => brokerThread.close() });
    const ports = brokerThread.ports;
    const mqttUrl = o.mqttUrl ?? `mqtt://${plainHost}:${ports!.mqttPort}`;
    if (ports) {
      const tlsUrls = [ports.mqttsPort ? `mqtts://${o.host}:${ports.mqttsPort}` : '', ports.wssPort ? `wss://${o.host}:${ports.wssPort}` : ''].filter(Boolean);
      log.info(`broker on ${mqttUrl} (WebSocket ws://${plainHost}:${ports.wsPort})` + (tlsUrls.length ? `, TLS ${tlsUrls.join(' and ')}` : ''));
    }

    // History is a convenience, flying is not: an InfluxDB that is absent or dies is
    // ridden out inside the telemetry service (spool, retry, supervised influxd, health
    // "degraded"), and a telemetry service that cannot start at all stops nothing else.
    const started = brokerThread.telemetryStart;
    let history: TelemetryStore | undefined;
    if (started.ok) {
      const into = started.influxdUrl ? `local influxd ${started.influxdUrl}` : 'the configured InfluxDB';
      if (started.health.status === 'ok') log.info(`telemetry ingesting into ${into}`);
      else log.warn({ reasons: started.health.reasons }, `telemetry degraded, spooling for ${into}: ${started.health.reasons.join('; ')}`);
      if (started.metricsUrl) log.info(`telemetry metrics on ${started.metricsUrl}`);
      // Queries are parsed on this side: a large history answer must not stall the broker.
      const store = createStore(started.historyStore);
      history = store;
      closers.push({ name: 'history client', close: () => store.close() });
    } else {
      log.error({ alert: 'TelemetryDown' }, `${started.reason}; running without history`);
    }

    let fleet: FleetThread | undefined;
    if (o.sim) {
      fleet = await startFleetThread(
        {
          site: o.site,
          secrets: o.secrets,
          mqttUrl,
          speed: o.sim.speed,
          ...(o.sim.scenario ? { scenario: o.sim.scenario } : {}),
          ...(o.sim.httpPort !== undefined ? { httpPort: o.sim.httpPort } : {}),
          logLevel: log.level,
        },
        log.child({ part: 'sim' }),
      );
      const f = fleet;
      closers.push({ name: 'simulated fleet', close: () => f.close() });
      log.info(`simulators: ${f.counts.drones} drones, ${f.counts.speakers} speakers, ${f.counts.sensors} sensors at ${f.speed}x`);
    }

    const bus = await MqttBus.connect({ url: mqttUrl, username: 'control', password: secret('control'), clientSuffix: `up-${process.pid}` });
    closers.push({ name: 'control broker link', close: () => bus.client.endAsync() });
    const control = await startControlService({
      site: o.site,
      bus,
      dataDir: join(o.dataDir, 'control'),
      signingKeys: mavlinkSigningKeys(o.site.drones, o.secrets),
      log: (line) => log.child({ part: 'mavlink' }).warn(line),
    });
    closers.push({ name: 'control service', close: () => control.close() });
    const app = await startControlApp({
      site: o.site,
      control,
      bus,
      dataDir: join(o.dataDir, 'control'),
      listen: { host: o.host, port: o.httpPort },
      ...(o.http ? { http: o.http } : {}),
      speed: o.sim?.speed ?? 1,
      ...(history ? { history } : {}),
      ...(fleet ? { sim: { injectFault: (r: Record<string, unknown>) => fleet!.injectFault(r as FaultRequest), faultSchema: FaultRequest, triggerEvent: (r: Record<string, unknown>) => fleet!.triggerEvent(r as EventRequest), eventSchema: EventRequest } } : {}),
      plugins: [webMapPlugin(o.web ?? {})],
    });
    closers.push({ name: 'operations and HTTP API', close: () => app.close() });
    const { ops, api, hub } = app;
    // Event-loop lag of the threads main relays to the metrics thread (control's link thread,
    // the fleet); main's own and the broker thread's go to the metrics thread directly, in
    // the same families with other thread labels.
    const lag = o.metricsPort === undefined ? undefined : threadLagMetrics();
    const observed = controlObservability({ control, bus, ops: { alarms: ops.alarms, broadcasts: ops.broadcasts, time: app.time }, ...(lag ? { threadLag: lag } : {}) });
    closers.push({ name: 'control metrics', close: () => observed.close() });
    const health = (): SystemHealth => {
      const tel = brokerThread.telemetryHealth();
      const ctl = observed.health();
      // An external broker is seen through control's link to it; ours by its thread's reports.
      const brk: SystemHealth['services']['broker'] = ports
        ? { ...brokerThread.brokerHealth(), external: false }
        : bus.connected
          ? { status: 'ok', reasons: [], external: true }
          : { status: 'down', reasons: [`control cannot reach the broker at ${mqttUrl}`], external: true };
      const all = overallHealth({ broker: brk, control: ctl, telemetry: tel });
      return { ...all, services: { broker: brk, control: ctl, telemetry: tel } };
    };
    let metricsUrl: string | undefined;
    if (lag && o.metricsPort !== undefined) {
      const mainLag = new LagMonitor();
      closers.push({ name: 'main thread lag monitor', close: () => mainLag.close() });
      // The threads main relays (links registered by control above; fleet asked from here).
      // Main itself and the broker thread are asked by the metrics thread directly.
      if (fleet) lag.register('fleet', () => fleet!.lag());
      try {
        const server = await startMetricsThread({
          port: o.metricsPort,
          main: {
            metrics: async () => (await Promise.all([observed.registry.getMetricsAsJSON(), lag.registry.getMetricsAsJSON()])).flat(),
            lag: () => mainLag.snapshot(),
            health: () => health().services,
          },
          brokerPort: () => brokerThread.metricsPeerPort(),
          onBrokerRestart: (l) => brokerThread.onRestarted(l),
          externalBroker: !ports,
          logger: log.child({ part: 'metrics' }),
        });
        closers.push({ name: 'metrics endpoint', close: () => server.close() });
        metricsUrl = server.metricsUrl;
        log.info(`metrics on ${server.metricsUrl}, health on ${server.healthUrl} (served from their own thread)`);
      } catch (err) {
        log.error({ err, alert: 'MetricsEndpointDown' }, `metrics endpoint not served on 127.0.0.1:${o.metricsPort}: ${(err as Error).message}; running without it`);
      }
    }
    // Health changes reach the console on the live event stream (a small field it can show).
    const offHealth = brokerThread.onHealthEvent((e) => hub.publish({ type: SERVICE_HEALTH_EVENT, data: { service: e.service, status: e.status, reasons: e.reasons, event: e.event, tsMs: e.tsMs } }));
    closers.push({ name: 'health events', close: offHealth });
    const mapUrl = `${app.url}/`;

    if (o.autoPatrol) void startPatrolsWhenReady(o.site, ops, log);
    return {
      mapUrl,
      mqttUrl,
      ...(metricsUrl ? { metricsUrl } : {}),
      ...(ports ? { broker: ports } : {}),
      brokerThread,
      history,
      ...(started.ok && started.metricsUrl ? { telemetryMetricsUrl: started.metricsUrl } : {}),
      health,
      control,
      ops,
      api,
      ...(fleet ? { fleet } : {}),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Patrols need the drones' own state (position, battery) before planning: wait for it, bounded. */
async function startPatrolsWhenReady(site: Site, ops: Operations, log: Logger): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < 30_000 && !site.drones.every((d) => ops.fleet.telemetry(d.id))) await new Promise((r) => setTimeout(r, 250));
  const state = ops.patrols.start();
  for (const r of state) log.info(`patrol ${r.ringId}: ${r.active ? `${r.plan?.slots ?? 0} on the loop, ${r.plan?.drones.length ?? 0} drones` : 'not started'}`);
  for (const w of ops.patrols.lastPlan?.warnings ?? []) log.warn(`patrol plan: ${w}`);
}

/** Backstop bound on stopping one part (telemetry's own bounds: drain 10 s, influxd stop 10 s). */
const CLOSE_PART_TIMEOUT_MS = 30_000;

async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p.then(() => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
