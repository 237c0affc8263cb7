import fastifyHttpProxy from '@fastify/http-proxy';
import Fastify, { type FastifyInstance } from 'fastify';
import { webMapPlugin, type WebMapOptions } from './plugin.ts';
import { tileOrigin } from '../../control/api/http-options.ts';
import { registerSecurityHeaders } from '../../control/api/security-headers.ts';

export interface WebServerOptions extends WebMapOptions {
  /** Base URL of the control API, e.g. http://127.0.0.1:8080 (its `/api/*` is proxied). */
  controlUrl: string;
  /** 0 = any free port. */
  port: number;
  host?: string;
}

export interface WebServer {
  app: FastifyInstance;
  /** http://host:port */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The console on its own port: the static app plus a reverse proxy for `/api/*`
 * (including the `/api/live` event stream, passed through unbuffered), so the browser
 * talks to one origin and the session cookie works.
 */
export async function startWebServer(o: WebServerOptions): Promise<WebServer> {
  // Event streams never end by themselves: close must cut them, not wait for them.
  const app = Fastify({ logger: false, forceCloseConnections: true });
  // The same headers as the API beside it: no framing of the console, CSP, nosniff.
  await registerSecurityHeaders(app, { tls: false, extraImgSrc: o.tiles?.kind === 'url' ? [tileOrigin(o.tiles.template)].filter((x): x is string => x !== undefined) : [] });
  await app.register(fastifyHttpProxy, {
    upstream: o.controlUrl.replace(/\/$/, ''),
    prefix: '/api',
    rewritePrefix: '/api',
    // The event stream stays open for hours; only connecting is bounded.
    http: { requestOptions: { timeout: 0 } },
    undici: { headersTimeout: 10_000, bodyTimeout: 0, connectTimeout: 5_000 },
    // The console tells "control service down" from a failed request by the 502.
    replyOptions: {
      // The client's address for the control API's login throttle (believed there only
      // with --trust-proxy naming this host); set, never appended, so it cannot be forged.
      rewriteRequestHeaders: (req: { ip: string }, headers: Record<string, unknown>) => ({ ...headers, 'x-forwarded-for': req.ip }),
      onError: (reply: { code(n: number): { send(b: unknown): void } }, { error }: { error: Error }) =>
        reply.code(502).send({ statusCode: 502, code: 'WEB_ERR_UPSTREAM', error: 'Bad Gateway', message: `control service unreachable: ${error.message}` }),
    },
  } as Parameters<typeof fastifyHttpProxy>[1]);
  await app.register(webMapPlugin(o));
  await app.listen({ port: o.port, host: o.host ?? '127.0.0.1' });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  return { app, port, url: `http://${o.host ?? '127.0.0.1'}:${port}`, close: () => app.close() };
}
