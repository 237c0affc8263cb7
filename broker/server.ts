import type { Logger } from 'pino';
import type { Site } from '../site/index.ts';
import { createBroker, type RingwatchBroker } from './create-broker.ts';
import type { BrokerLimits } from './limits.ts';
import type { BrokerMetrics } from './metrics.ts';
import { redisBackends } from './redis.ts';
import { listenTcp, listenWebSocket } from './transports.ts';

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
}

export interface BrokerServer {
  mqttPort: number;
  /** 0 when WebSocket is disabled. */
  wsPort: number;
  broker: RingwatchBroker;
  metrics(): BrokerMetrics;
  close(): Promise<void>;
}

/** The broker core with its TCP and WebSocket listeners (and Redis backends when asked). */
export async function startBrokerServer(opts: BrokerServerOptions): Promise<BrokerServer> {
  const host = opts.host ?? '127.0.0.1';
  const backends = opts.redis ? redisBackends(opts.redis) : undefined;
  const broker = await createBroker({
    site: opts.site,
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.limits ? { limits: opts.limits } : {}),
    ...(opts.id ? { id: opts.id } : {}),
    ...(backends ?? {}),
  });
  const tcp = await listenTcp(broker, host, opts.mqttPort ?? 1883).catch(async (err: unknown) => {
    await broker.close();
    throw err;
  });
  const ws =
    opts.wsPort === null
      ? undefined
      : await listenWebSocket(broker, host, opts.wsPort ?? 8883).catch(async (err: unknown) => {
          await tcp.close();
          await broker.close();
          throw err;
        });
  let closing: Promise<void> | undefined;
  return {
    mqttPort: tcp.port,
    wsPort: ws?.port ?? 0,
    broker,
    metrics: broker.metrics,
    close: () =>
      (closing ??= (async () => {
        await Promise.all([tcp.close(), ws?.close()]);
        await broker.close();
        if (backends) await closeBackends(backends);
      })()),
  };
}

async function closeBackends(b: { mq: unknown; persistence: unknown }): Promise<void> {
  const persistence = b.persistence as { destroy?: () => Promise<void> | void };
  await persistence.destroy?.();
}
