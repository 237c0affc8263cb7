import type { Logger } from 'pino';
import type { Site } from '../site/index.ts';
import { createBroker, type RingwatchBroker } from './create-broker.ts';
import type { BrokerLimits } from './limits.ts';
import type { BrokerMetrics } from './metrics.ts';
import { redisBackends } from './redis.ts';
import { startStatusPublisher } from './status-publisher.ts';
import { readTlsFiles, type TlsFiles, type TlsPaths } from './tls-files.ts';
import { listenTcp, listenWebSocket, type Listener } from './transports.ts';
import { DEFAULT_PORTS } from '../protocol/ports.ts';

/** TLS listeners (mqtts, wss), beside the plain ones. */
export interface BrokerTlsOptions {
  /** PEM files (read at start) or their contents. */
  files: TlsPaths | TlsFiles;
  /** Address for the TLS listeners (default: the plain listeners' host). */
  host?: string;
  /** MQTT over TLS; 0 picks a free port; `null` disables it (default `DEFAULT_PORTS.mqtts`, 8883). */
  mqttsPort?: number | null;
  /** MQTT over WebSocket over TLS; 0 picks a free port; `null` disables it (default `DEFAULT_PORTS.wss`, 8084). */
  wssPort?: number | null;
}

export interface BrokerServerOptions {
  site: Site;
  host?: string;
  /** 0 picks a free port. */
  mqttPort?: number;
  /** 0 picks a free port; `null` disables WebSocket. */
  wsPort?: number | null;
  /** redis:// URL: cluster with other instances on the same Redis. */
  redis?: string;
  /** Broker id; distinct per instance in a cluster (random by default). */
  id?: string;
  logger?: Logger;
  limits?: Partial<BrokerLimits>;
  /** Injected clock (rate limits, device clock checks); Date.now by default. */
  nowMs?: () => number;
  /** mqtts and wss from certificate files; the plain listeners stay (bind them to loopback). */
  tls?: BrokerTlsOptions;
}

export interface BrokerServer {
  mqttPort: number;
  /** 0 when WebSocket is disabled. */
  wsPort: number;
  /** 0 when mqtts is not offered. */
  mqttsPort: number;
  /** 0 when wss is not offered. */
  wssPort: number;
  broker: RingwatchBroker;
  metrics(): BrokerMetrics;
  close(): Promise<void>;
}

/** The broker core with its TCP and WebSocket listeners (and Redis backends when asked). */
export async function startBrokerServer(opts: BrokerServerOptions): Promise<BrokerServer> {
  const host = opts.host ?? '127.0.0.1';
  // Read the certificate files before anything listens: a bad path is a start-up error.
  const tlsFiles = opts.tls ? ('certFile' in opts.tls.files ? readTlsFiles(opts.tls.files) : opts.tls.files) : undefined;
  const backends = opts.redis ? redisBackends(opts.redis) : undefined;
  const broker = await createBroker({
    site: opts.site,
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.limits ? { limits: opts.limits } : {}),
    ...(opts.id ? { id: opts.id } : {}),
    ...(opts.nowMs ? { nowMs: opts.nowMs } : {}),
    ...(backends ?? {}),
  });
  const listeners: Listener[] = [];
  const open = async (start: () => Promise<Listener>): Promise<Listener> => {
    try {
      const l = await start();
      listeners.push(l);
      return l;
    } catch (err) {
      await Promise.all(listeners.map((l) => l.close()));
      await broker.close();
      throw err;
    }
  };
  const tcp = await open(() => listenTcp(broker, host, opts.mqttPort ?? DEFAULT_PORTS.mqtt));
  const ws = opts.wsPort === null ? undefined : await open(() => listenWebSocket(broker, host, opts.wsPort ?? DEFAULT_PORTS.ws));
  const tlsHost = opts.tls?.host ?? host;
  const mqtts = tlsFiles && opts.tls?.mqttsPort !== null ? await open(() => listenTcp(broker, tlsHost, opts.tls?.mqttsPort ?? DEFAULT_PORTS.mqtts, tlsFiles)) : undefined;
  const wss = tlsFiles && opts.tls?.wssPort !== null ? await open(() => listenWebSocket(broker, tlsHost, opts.tls?.wssPort ?? DEFAULT_PORTS.wss, tlsFiles)) : undefined;
  // The broker's own status for control (protocol/broker-status.ts), from wherever it runs.
  const status = startStatusPublisher(broker, opts.nowMs ? { nowMs: opts.nowMs } : {});
  let closing: Promise<void> | undefined;
  return {
    mqttPort: tcp.port,
    wsPort: ws?.port ?? 0,
    mqttsPort: mqtts?.port ?? 0,
    wssPort: wss?.port ?? 0,
    broker,
    metrics: broker.metrics,
    close: () =>
      (closing ??= (async () => {
        status.stop();
        await Promise.all(listeners.map((l) => l.close()));
        await broker.close();
        if (backends) await closeBackends(backends);
      })()),
  };
}

async function closeBackends(b: { mq: unknown; persistence: unknown }): Promise<void> {
  const persistence = b.persistence as { destroy?: () => Promise<void> | void };
  await persistence.destroy?.();
}
