import { join } from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { DEFAULT_PORTS } from '../protocol/ports.ts';
import type { Site } from '../site/load.ts';
import type { TelemetryStore } from '../telemetry/store/types.ts';
import { AUDIT_TOPIC } from '../protocol/service-records.ts';
import { buildApi } from './api/app.ts';
import { AuditLog } from './api/audit-log.ts';
import type { HttpServerOptions } from './api/http-options.ts';
import { SessionStore } from './api/sessions.ts';
import { EventHub } from './live/event-hub.ts';
import type { Bus } from './mqtt/bus.ts';
import { startOperations, type Operations, type OperationsOptions } from './ops/operations.ts';
import { opsTime, type OpsTime } from './ops/sim-time.ts';
import { PatrolFile } from './ops/patrol-store.ts';
import { Readopter } from './ops/readopt.ts';
import { WarningLibrary } from './ops/warning-library.ts';
import type { ControlService } from './service.ts';

/** Defaults of part 2, stated once: the CLI's usage text, `ringwatch up` and the docs read these. */
export const CONTROL_APP_DEFAULTS = {
  /** Loopback unless asked: the API carries logins and drone commands. */
  httpHost: '127.0.0.1',
  httpPort: DEFAULT_PORTS.http,
  /** Operations' time runs at wall speed unless paired with accelerated simulators. */
  speed: 1,
  /**
   * Live events are flushed to clients in batches this often (ms). 25 rather than 50: the
   * flush wait is the largest fixed part of device → map latency, and halving it gave
   * bench:map ~20 ms at p50 and ~40 ms at p99 of headroom on a loaded 2-core machine
   * (p99 median 59 against 105 ms, interleaved runs at load 4–6) for 1–4 % more server
   * CPU; the console still applies them once per animation frame.
   */
  liveFlushMs: 25,
} as const;

/** Everything part 2 (operations + HTTP API) needs, over a running part 1. */
export interface ControlAppConfig {
  site: Site;
  /** Part 1: links, vehicles, ledger, gateway. */
  control: ControlService;
  /** The control identity's broker connection; operations without it run without broadcasts and device events. */
  bus?: Bus;
  /** The control service's data directory: warning library, audit log, sensor event ids, alarms, patrol state. */
  dataDir: string;
  /** Where the API listens; port 0 picks a free one (default CONTROL_APP_DEFAULTS). */
  listen?: { host?: string; port?: number };
  /** TLS, limits, trusted proxies, logger of the HTTP server. */
  http?: HttpServerOptions;
  /** Time acceleration shared with attached simulators (default 1). */
  speed?: number;
  /** History and replay; the history routes answer 503 without. */
  history?: TelemetryStore;
  /** Attached simulators: fault injection and sensor events, with the body schemas of their vocabulary. */
  sim?: { injectFault: (req: Record<string, unknown>) => Promise<void>; faultSchema: TSchema; triggerEvent?: (req: Record<string, unknown>) => unknown; eventSchema?: TSchema };
  /** Extra fastify plugins beside the API (the web console). */
  plugins?: FastifyPluginAsync[];
  /** Tuning of operations (tests shorten alarm rules, planners). */
  ops?: Partial<Pick<OperationsOptions, 'alarmRules' | 'planOptions' | 'tickMs'>>;
  /** Publish audit records on the broker for the telemetry store (default: when there is a bus). */
  auditToBus?: boolean;
}

export interface ControlApp {
  ops: Operations;
  hub: EventHub;
  time: OpsTime;
  warnings: WarningLibrary;
  audit: AuditLog;
  api: FastifyInstance;
  /** Drones found armed at start: re-adopted onto their patrol sortie or listed as manual. */
  readopter: Readopter;
  /** `http(s)://host:port` the API listens on (no trailing slash). */
  url: string;
  /** Closes the API, audit log, operations and live hub, in that order; never throws. */
  close(): Promise<void>;
}

/**
 * The one place that wires part 2 — operations (patrols, alarms and dispatch, broadcasts,
 * coverage) and the HTTP API — over a running control service. `ringwatch control`,
 * `ringwatch up` and the integration tests all start it here, so a default or a wiring
 * change cannot drift between them.
 */
export async function startControlApp(c: ControlAppConfig): Promise<ControlApp> {
  const closers: (() => Promise<unknown> | unknown)[] = [];
  const close = async () => {
    for (const fn of closers.splice(0).reverse()) {
      try {
        await fn();
      } catch {
        // Keep closing the rest; each part logs its own failures.
      }
    }
  };
  try {
    const time = opsTime(c.speed ?? CONTROL_APP_DEFAULTS.speed);
    const hub = new EventHub(CONTROL_APP_DEFAULTS.liveFlushMs);
    closers.push(() => hub.close());
    const warnings = new WarningLibrary(c.site.warnings, c.dataDir);
    const ops = await startOperations({
      site: c.site,
      control: c.control,
      ...(c.bus ? { bus: c.bus } : {}),
      warnings,
      hub,
      time,
      // A device resending an event after both of us restarted must not dispatch a drone again.
      eventIdsFile: join(c.dataDir, 'event-ids.json'),
      alarmsFile: join(c.dataDir, 'alarms.jsonl'),
      ...c.ops,
    });
    closers.push(() => ops.close());
    // Patrols survive a control restart: the state file is read back before anything
    // runs, and drones found in the air are re-adopted only when their mission matches.
    const patrolFile = new PatrolFile(join(c.dataDir, 'patrols.json'));
    const saved = patrolFile.load();
    if (saved) ops.patrols.restore(saved);
    closers.push(ops.patrols.onStateChange(() => patrolFile.save(ops.patrols.snapshot())));
    const readopter = new Readopter({
      vehicles: c.control.vehicles,
      fleet: ops.fleet,
      patrols: ops.patrols,
      time,
      notify: (droneId, text) => ops.vehicleAlarms.raise(droneId, 'mission_aborted', 'high', text),
    });
    readopter.start();
    closers.push(() => readopter.close());
    const bus = c.bus;
    const toBus = bus && (c.auditToBus ?? true);
    const audit = await AuditLog.open({ dataDir: c.dataDir, clock: time, ...(toBus ? { sink: (r) => bus.publish(AUDIT_TOPIC, JSON.stringify(r), { qos: 1 }) } : {}) });
    closers.push(() => audit.close());
    const api = await buildApi(
      {
        site: c.site,
        clock: time,
        sessions: new SessionStore(c.site.users, time),
        audit,
        warnings,
        hub,
        control: c.control,
        ops,
        ...(c.history ? { history: c.history } : {}),
        ...(c.sim ? { simFaults: c.sim.injectFault, simFaultSchema: c.sim.faultSchema } : {}),
        ...(c.sim?.triggerEvent && c.sim.eventSchema ? { simEvents: c.sim.triggerEvent, simEventSchema: c.sim.eventSchema } : {}),
      },
      c.http,
    );
    closers.push(() => api.close());
    for (const p of c.plugins ?? []) await api.register(p);
    const host = c.listen?.host ?? CONTROL_APP_DEFAULTS.httpHost;
    await api.listen({ host, port: c.listen?.port ?? CONTROL_APP_DEFAULTS.httpPort });
    const port = (api.server.address() as { port: number }).port;
    // A wildcard bind is reached on loopback from this machine.
    const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    const url = `${c.http?.tls ? 'https' : 'http'}://${urlHost}:${port}`;
    return { ops, hub, time, warnings, audit, api, readopter, url, close };
  } catch (err) {
    await close();
    throw err;
  }
}
