import type { MessagePort } from 'node:worker_threads';
import type { Registry } from 'prom-client';
import type { Site } from '../../site/load.ts';
import type { BrokerTlsOptions } from '../../broker/index.ts';
import type { TelemetryHealth } from '../../telemetry/service.ts';
import type { StoreConfig } from '../../telemetry/store/create.ts';
import { isLagSnapshot, type LagSnapshot } from '../../util/event-loop-lag.ts';

/**
 * The broker thread's protocol: what the main thread hands it at start (workerData) and
 * the messages both ways. Everything here survives structured clone (no functions, no
 * class instances); what arrives is checked by the narrow parsers below before use.
 */

/** What the thread starts: our own broker (absent with an external one) and the telemetry service. */
export interface BrokerThreadConfig {
  site: Site;
  broker?: {
    host: string;
    mqttPort: number;
    wsPort: number;
    tls?: BrokerTlsOptions & { host: string };
    maxConnectionsPerAddress?: number;
  };
  telemetry: {
    /** 'publish-path' needs `broker`; 'mqtt' logs in at `mqttUrl` (ours, or the external broker). */
    ingest: 'publish-path' | 'mqtt';
    /** Where 'mqtt' ingest connects; with our own broker the thread fills in its port. */
    mqttUrl?: string;
    /** The telemetry service's MQTT secret; needed for 'mqtt' only. */
    password?: string;
    store: StoreConfig;
    dataDir: string;
    influxdPort?: number;
    metricsPort?: number;
  };
  /** pino level for the thread's own log lines. */
  logLevel: string;
}

export type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** The broker's bound ports (0: that listener is not offered). */
export interface BrokerPorts {
  mqttPort: number;
  wsPort: number;
  mqttsPort: number;
  wssPort: number;
}

/** How telemetry came up in the thread, and where the API's history client should look. */
export type TelemetryStart =
  | { ok: true; historyStore: StoreConfig; influxdUrl?: string; influxdPort?: number; influxdPid?: number; metricsUrl?: string; health: TelemetryHealth }
  | { ok: false; reason: string };

export type FromBrokerThread =
  | { kind: 'ready'; broker?: BrokerPorts; telemetry: TelemetryStart }
  /** Start failed for a reason the main thread must report (e.g. a port is taken). */
  | { kind: 'start-failed'; message: string }
  /** Every second and on every change: the main thread's health() and liveness check read it. */
  | { kind: 'health'; telemetry?: TelemetryHealth; influxdPid?: number }
  | { kind: 'health-change'; telemetry: TelemetryHealth; event: string }
  | { kind: 'reply'; id: number; reply: BrokerThreadReply };

export type BrokerThreadRequest = { what: 'metrics' } | { what: 'lag' } | { what: 'close'; drainTimeoutMs: number };

export type BrokerThreadReply =
  | { what: 'metrics'; metrics: MetricsJson }
  | { what: 'lag'; lag: LagSnapshot }
  | { what: 'closed' }
  | { what: 'error'; message: string };

export type ToBrokerThread =
  | { kind: 'request'; id: number; request: BrokerThreadRequest }
  /** The metrics thread's port (transferred): it asks for series and health there, not through main. */
  | { kind: 'metrics-peer'; port: MessagePort };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isHealth = (v: unknown): v is TelemetryHealth => isObject(v) && v['service'] === 'telemetry' && (v['status'] === 'ok' || v['status'] === 'degraded') && Array.isArray(v['reasons']);
const isPort = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65_535;

/** Narrows a message from the thread; anything else is an Error naming what is wrong (a bug on our side). */
export function parseFromBrokerThread(m: unknown): FromBrokerThread | Error {
  if (!isObject(m)) return new Error('broker thread message is not an object');
  switch (m['kind']) {
    case 'ready': {
      const b = m['broker'];
      if (b !== undefined && !(isObject(b) && isPort(b['mqttPort']) && isPort(b['wsPort']) && isPort(b['mqttsPort']) && isPort(b['wssPort']))) return new Error('ready: broker ports malformed');
      const t = m['telemetry'];
      if (!isObject(t)) return new Error('ready: telemetry missing');
      if (t['ok'] === true && !(isObject(t['historyStore']) && isHealth(t['health']))) return new Error('ready: telemetry start malformed');
      if (t['ok'] === false && typeof t['reason'] !== 'string') return new Error('ready: telemetry failure without a reason');
      return m as FromBrokerThread;
    }
    case 'start-failed':
      return typeof m['message'] === 'string' ? (m as FromBrokerThread) : new Error('start-failed without a message');
    case 'health':
      return m['telemetry'] === undefined || isHealth(m['telemetry']) ? (m as FromBrokerThread) : new Error('health: telemetry record malformed');
    case 'health-change':
      return isHealth(m['telemetry']) && typeof m['event'] === 'string' ? (m as FromBrokerThread) : new Error('health-change malformed');
    case 'reply': {
      const r = m['reply'];
      if (!Number.isInteger(m['id']) || !isObject(r)) return new Error('reply malformed');
      if (r['what'] === 'metrics' && !Array.isArray(r['metrics'])) return new Error('metrics reply without metrics');
      if (r['what'] === 'lag' && !isLagSnapshot(r['lag'])) return new Error('lag reply malformed');
      if (r['what'] === 'error' && typeof r['message'] !== 'string') return new Error('error reply without a message');
      if (!['metrics', 'lag', 'closed', 'error'].includes(r['what'] as string)) return new Error(`unknown reply "${String(r['what'])}"`);
      return m as FromBrokerThread;
    }
    default:
      return new Error(`unknown broker thread message kind "${String(m['kind'])}"`);
  }
}

/** Narrows a message from the main thread. */
export function parseToBrokerThread(m: unknown): ToBrokerThread | Error {
  if (isObject(m) && m['kind'] === 'metrics-peer') return isObject(m['port']) && typeof m['port']['postMessage'] === 'function' ? (m as ToBrokerThread) : new Error('metrics-peer without a port');
  if (!isObject(m) || m['kind'] !== 'request' || !Number.isInteger(m['id']) || !isObject(m['request'])) return new Error('not a broker thread request');
  const r = m['request'];
  if (r['what'] === 'metrics' || r['what'] === 'lag') return m as ToBrokerThread;
  if (r['what'] === 'close' && typeof r['drainTimeoutMs'] === 'number' && r['drainTimeoutMs'] >= 0) return m as ToBrokerThread;
  return new Error(`unknown broker thread request "${String(r['what'])}"`);
}
