import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../../control/api/app.ts';
import type { AuditLog } from '../../control/api/audit-log.ts';
import type { HttpServerOptions } from '../../control/api/http-options.ts';
import type { SessionOptions } from '../../control/api/sessions.ts';
import { loadSite } from '../../site/load.ts';
import { loadSecretsFile } from '../../site/secrets-file.ts';
import { webMapPlugin } from '../../web-map/server/plugin.ts';
import { buildApiOnly } from '../helpers/api-only.ts';

export const demo = { site: loadSite('sites/demo.yaml'), secrets: loadSecretsFile('sites/demo.secrets.yaml') };

export interface ApiServer {
  app: FastifyInstance;
  /** http(s)://127.0.0.1:PORT */
  url: string;
  port: number;
  dataDir: string;
  audit: AuditLog;
  close(): Promise<void>;
}

/** The real API (no control service behind it) listening on loopback port 0. */
export async function startApiServer(
  o: { http?: HttpServerOptions; deps?: Partial<ApiDeps>; sessions?: Partial<SessionOptions>; web?: boolean; clock?: { nowMs(): number } } = {},
): Promise<ApiServer> {
  const clock = o.clock ?? { nowMs: () => Date.now() };
  const api = await buildApiOnly(demo.site, clock, 'rw-sec-', {
    sessions: { maxFailures: 5, ...o.sessions },
    deps: { simFaults: async () => undefined, ...o.deps },
    http: o.http,
  });
  const { app, dataDir, audit } = api;
  if (o.web) await app.register(webMapPlugin({}));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  return {
    app,
    url: `${o.http?.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    dataDir,
    audit,
    close: () => api.close(),
  };
}

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * One HTTP request with the path sent exactly as given (no URL normalisation, unlike
 * fetch), from an optional source address on loopback (127.0.0.2 …). Streams (SSE)
 * are cut after the headers and the first chunk.
 */
export function rawRequest(
  port: number,
  o: { method?: string; path: string; headers?: Record<string, string>; body?: string; localAddress?: string; timeoutMs?: number },
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method: o.method ?? 'GET', path: o.path, headers: { ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}), ...o.headers }, ...(o.localAddress ? { localAddress: o.localAddress } : {}), agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        if (String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
          res.once('data', (c: string) => {
            body += c;
            res.destroy();
            done();
          });
          return;
        }
        res.on('data', (c: string) => (body += c));
        res.on('end', done);
        res.on('error', reject);
      },
    );
    req.setTimeout(o.timeoutMs ?? 20_000, () => req.destroy(new Error(`no answer to ${o.method ?? 'GET'} ${o.path}`)));
    req.on('error', reject);
    req.end(o.body);
  });
}

export async function loginToken(port: number, username: string, localAddress?: string): Promise<string> {
  const r = await rawRequest(port, { method: 'POST', path: '/api/login', body: JSON.stringify({ username, password: demo.secrets.users![username]! }), ...(localAddress ? { localAddress } : {}) });
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${r.body}`);
  return (JSON.parse(r.body) as { token: string }).token;
}
