import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';

export interface MetricsServerOptions {
  /** 127.0.0.1:PORT; 0 picks a free one. */
  port: number;
  /** Prometheus text exposition and its content type. */
  metrics: () => Promise<{ contentType: string; body: string }>;
  /** The health record; `status` decides nothing here (a degraded service still serves). */
  health: () => unknown | Promise<unknown>;
  logger: Logger;
}

export interface MetricsServer {
  /** http://127.0.0.1:PORT/metrics */
  metricsUrl: string;
  healthUrl: string;
  close(): Promise<void>;
}

/**
 * `/metrics` and `/health` of the telemetry service on loopback. A failure while
 * answering is a 500 carrying a request id, and the same id is logged with the error,
 * so the engineer who got the 500 can find its cause.
 */
export async function startMetricsServer(o: MetricsServerOptions): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const requestId = randomUUID();
    const answer = async (): Promise<void> => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { allow: 'GET, HEAD' }).end();
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/metrics') {
        const m = await o.metrics();
        res.writeHead(200, { 'content-type': m.contentType, 'x-request-id': requestId }).end(m.body);
      } else if (path === '/health') {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-request-id': requestId }).end(JSON.stringify(await o.health()));
      } else {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not found: /metrics and /health are served' }));
      }
    };
    answer().catch((err: unknown) => {
      o.logger.error({ requestId, method: req.method, url: req.url, err }, 'telemetry metrics server: 500');
      if (res.headersSent) res.destroy();
      else res.writeHead(500, { 'content-type': 'application/json', 'x-request-id': requestId }).end(JSON.stringify({ error: 'internal error', requestId }));
    });
  });
  // Scrapers keep connections alive; close() must not wait for them.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return {
    metricsUrl: `${base}/metrics`,
    healthUrl: `${base}/health`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
