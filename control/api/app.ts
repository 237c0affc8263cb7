import fastifyCookie from '@fastify/cookie';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { authenticate } from './authenticate.ts';
import { limitConnections } from './connection-limits.ts';
import { DEFAULT_HTTP_TIMEOUTS, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS_PER_SOURCE, type HttpServerOptions } from './http-options.ts';
import { docsHelmetConfig, registerSecurityHeaders } from './security-headers.ts';
import { apiValidatorCompiler } from './validators.ts';
import { toApiError } from './http-errors.ts';
import type { ApiDeps } from './deps.ts';
import { authRoutes } from './routes/auth.ts';
import { siteRoutes } from './routes/site.ts';
import { warningRoutes } from './routes/warnings.ts';
import { planningRoutes } from './routes/planning.ts';
import { auditRoutes } from './routes/audit.ts';
import { liveRoutes } from './routes/live.ts';
import { droneRoutes } from './routes/drones.ts';
import { patrolRoutes } from './routes/patrols.ts';
import { alarmRoutes } from './routes/alarms.ts';
import { broadcastRoutes } from './routes/broadcasts.ts';
import { engineeringRoutes } from './routes/engineering.ts';
import { historyRoutes } from './routes/history.ts';

export type { ApiDeps } from './deps.ts';
export { SESSION_COOKIE } from './authenticate.ts';

/**
 * The HTTP API as a fastify instance with no listener (fastify/demo's app.ts): tests
 * use `inject()`, `server.ts` listens. Every route has a schema; every mutating route
 * names the permission it needs (refused at startup otherwise) and is audited durably
 * before its answer is sent. `http` sets the transport (TLS) and the server's limits.
 */
export async function buildApi(deps: ApiDeps, http: HttpServerOptions = {}): Promise<FastifyInstance> {
  const timeouts = { ...DEFAULT_HTTP_TIMEOUTS, ...http.timeouts };
  // Node checks the headers and request timeouts only every connectionsCheckingInterval
  // (30 s by default), which would let slow clients outlive the timeouts by that much.
  const nodeServer = {
    headersTimeout: Math.min(timeouts.headersTimeoutMs, timeouts.requestTimeoutMs),
    requestTimeout: timeouts.requestTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, Math.ceil(timeouts.headersTimeoutMs / 2)),
  };
  // One instance type whether over HTTP or HTTPS: routes and tests never see the difference.
  const app = Fastify({
    ...(http.tls ? { https: { ...nodeServer, cert: http.tls.cert, key: http.tls.key } } : { http: nodeServer }),
    // Warnings and errors only: fastify logs every request at info, which costs more
    // than the requests themselves under the map's polling.
    ...(http.logger ? { loggerInstance: http.logger.child({ part: 'http' }, { level: 'warn' }) as FastifyBaseLogger } : { logger: false }),
    genReqId: () => randomUUID(),
    ...(http.trustProxy?.length ? { trustProxy: http.trustProxy } : {}),
    connectionTimeout: timeouts.idleTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
  }) as unknown as FastifyInstance;
  limitConnections(app.server, { maxTotal: http.maxConnections ?? DEFAULT_MAX_CONNECTIONS, maxPerSource: http.maxConnectionsPerSource ?? DEFAULT_MAX_CONNECTIONS_PER_SOURCE });
  app.setValidatorCompiler(apiValidatorCompiler());
  const headerOptions = { tls: Boolean(http.tls), extraImgSrc: http.extraImgSrc ?? [] };
  await registerSecurityHeaders(app, headerOptions);
  await app.register(fastifyCookie);
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'ringwatch control API', version: '1.0.0', description: 'Drones, patrols, alarms, broadcasts and the command ledger.' },
      components: { securitySchemes: { session: { type: 'http', scheme: 'bearer' } } },
      security: [{ session: [] }],
    },
  });

  app.decorate('routePermissions', [] as FastifyInstance['routePermissions']);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const mutating = methods.some((m) => !['GET', 'HEAD', 'OPTIONS'].includes(m));
    if (mutating && !route.config?.permission) throw new Error(`route ${String(route.method)} ${route.url} must declare config.permission`);
    const schema = route.schema as { response?: object; hide?: boolean } | undefined;
    const contract = { responseSchema: schema?.response !== undefined, hidden: schema?.hide === true };
    for (const m of methods) if (m !== 'HEAD') app.routePermissions.push({ method: m, url: route.url, permission: route.config?.permission ?? 'read', ...contract });
  });

  app.setErrorHandler((err, req, reply) => {
    const body = toApiError(err);
    // A 500 says nothing to the client but its request id, which finds the stack here.
    if (body.statusCode >= 500) req.log.error({ err, reqId: req.id, method: req.method, url: req.url }, `request ${req.id} failed`);
    void reply.status(body.statusCode).send(body.statusCode >= 500 ? { ...body, requestId: req.id } : body);
  });

  // Every API route lives in this one scope, whose onRequest hook authenticates and
  // authorises from the matched route's config: no URL spelling reaches a handler
  // around it. The web console (mounted beside, outside this scope) stays public.
  await app.register(
    async (api) => {
      api.addHook('onRequest', authenticate(deps.sessions));
      // Audit after the handler (or the refusal) and before the answer leaves.
      api.addHook('onSend', async (req, reply, payload) => {
        const cfg = req.routeOptions.config;
        const audited = cfg?.audit ?? (req.method !== 'GET' && req.method !== 'HEAD');
        if (!audited || cfg?.permission === 'public') return payload;
        const status = reply.statusCode;
        await deps.audit.record({
          username: req.user?.username ?? '(anonymous)',
          role: req.user?.role ?? '(none)',
          action: `${req.method} ${req.routeOptions.url ?? req.url}`,
          target: req.url,
          request: req.body,
          outcome: status < 400 ? 'ok' : status === 401 || status === 403 ? 'refused' : 'failed',
          status,
          ...(status >= 400 && typeof payload === 'string' ? { detail: safeMessage(payload) } : {}),
        });
        return payload;
      });
      await api.register(authRoutes(deps));
      await api.register(siteRoutes(deps));
      await api.register(warningRoutes(deps));
      await api.register(planningRoutes(deps));
      await api.register(auditRoutes(deps));
      await api.register(liveRoutes(deps));
      await api.register(droneRoutes(deps));
      await api.register(patrolRoutes(deps));
      await api.register(alarmRoutes(deps));
      await api.register(broadcastRoutes(deps));
      await api.register(engineeringRoutes(deps));
      await api.register(historyRoutes(deps));
      api.get('/openapi.json', { config: { permission: 'public' }, schema: { hide: true } }, async () => app.swagger());
      // Browsable docs for integrators; assets come from node_modules, so they work offline.
      await api.register(async (docs) => {
        docs.addHook('onRoute', (route) => {
          route.config = { ...route.config, permission: 'public', helmet: docsHelmetConfig(headerOptions) } as typeof route.config;
        });
        await docs.register(fastifySwaggerUi, { routePrefix: '/docs' });
      });
    },
    { prefix: '/api' },
  );
  return app;
}

function safeMessage(payload: string): string | undefined {
  try {
    return (JSON.parse(payload) as { message?: string }).message;
  } catch {
    return undefined;
  }
}
