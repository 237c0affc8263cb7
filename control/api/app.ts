import fastifyCookie from '@fastify/cookie';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Site } from '../../site/load.ts';
import type { Clock } from '../timeouts.ts';
import { authorize, type Permission } from '../auth/roles.ts';
import type { AuditLog } from './audit-log.ts';
import type { EventHub } from './event-hub.ts';
import { ApiError, toApiError } from './http-errors.ts';
import type { SessionStore, SessionUser } from './sessions.ts';
import type { WarningLibrary } from './warning-library.ts';
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
import type { TelemetryStore } from '../../telemetry/store/types.ts';
import type { ControlService } from '../service.ts';
import type { Operations } from '../ops/operations.ts';

declare module 'fastify' {
  interface FastifyRequest {
    user?: SessionUser;
  }
  interface FastifyInstance {
    /** Every route with the permission it requires, for docs and the RBAC test. */
    routePermissions: { method: string; url: string; permission: Permission | 'public' | 'read' }[];
  }
  interface FastifyContextConfig {
    /** The permission a route needs; mutating routes must name one. `public` needs no login. */
    permission?: Permission | 'public';
    /** Audit this route's calls (default: every non-GET route). */
    audit?: boolean;
  }
}

/** What the API needs from the rest of the control service: ports, not implementations. */
export interface ApiDeps {
  site: Site;
  clock: Clock;
  sessions: SessionStore;
  audit: AuditLog;
  warnings: WarningLibrary;
  hub: EventHub;
  /** Current response-coverage evaluation, when the live model runs. */
  coverage?: () => unknown;
  /** Part 1 (links, vehicles, ledger) and part 2 (operations); routes needing them answer 503 without. */
  control?: ControlService;
  ops?: Operations;
  /** Fault injection into attached simulators (`ringwatch up --sim`); validated by the simulator. */
  simFaults?: (req: Record<string, unknown>) => Promise<void>;
  /** The telemetry store for history and replay. */
  history?: TelemetryStore;
}

export const SESSION_COOKIE = 'rw_session';

/**
 * The HTTP API as a fastify instance with no listener (fastify/demo's app.ts): tests
 * use `inject()`, `server.ts` listens. Every route has a schema; every mutating route
 * names the permission it needs (refused at startup otherwise) and is audited durably
 * before its answer is sent.
 */
export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, ajv: { customOptions: { allErrors: false, removeAdditional: false } } });
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
    for (const m of methods) if (m !== 'HEAD') app.routePermissions.push({ method: m, url: route.url, permission: route.config?.permission ?? 'read' });
  });

  app.addHook('onRequest', async (req) => {
    const permission = req.routeOptions.config?.permission;
    // Only the API is guarded: the web console's static files (mounted beside it) are
    // public, since the login page must load before anyone can log in.
    if (!req.url.startsWith('/api/')) return;
    if (permission === 'public' || req.url.startsWith('/api/docs')) return;
    const token = bearer(req) ?? req.cookies[SESSION_COOKIE];
    const user = token ? deps.sessions.touch(token) : undefined;
    if (!user) throw new ApiError('API_ERR_UNAUTHENTICATED');
    req.user = user;
    const decision = authorize(user.role, permission ?? 'read');
    if (!decision.allow) throw new ApiError('API_ERR_FORBIDDEN', decision.reason);
  });

  app.setErrorHandler((err, _req, reply) => {
    const body = toApiError(err);
    void reply.status(body.statusCode).send(body);
  });

  // Audit after the handler (or the refusal) and before the answer leaves.
  app.addHook('onSend', async (req, reply, payload) => {
    const cfg = req.routeOptions.config;
    const audited = cfg?.audit ?? (req.method !== 'GET' && req.method !== 'HEAD');
    if (!audited || cfg?.permission === 'public' || !req.routeOptions.url?.startsWith('/api/')) return payload;
    const status = reply.statusCode;
    await deps.audit.record({
      username: req.user?.username ?? '(anonymous)',
      role: req.user?.role ?? '(none)',
      action: `${req.method} ${req.routeOptions.url}`,
      target: req.url,
      request: req.body,
      outcome: status < 400 ? 'ok' : status === 401 || status === 403 ? 'refused' : 'failed',
      status,
      ...(status >= 400 && typeof payload === 'string' ? { detail: safeMessage(payload) } : {}),
    });
    return payload;
  });

  await app.register(authRoutes(deps), { prefix: '/api' });
  await app.register(siteRoutes(deps), { prefix: '/api' });
  await app.register(warningRoutes(deps), { prefix: '/api' });
  await app.register(planningRoutes(deps), { prefix: '/api' });
  await app.register(auditRoutes(deps), { prefix: '/api' });
  await app.register(liveRoutes(deps), { prefix: '/api' });
  await app.register(droneRoutes(deps), { prefix: '/api' });
  await app.register(patrolRoutes(deps), { prefix: '/api' });
  await app.register(alarmRoutes(deps), { prefix: '/api' });
  await app.register(broadcastRoutes(deps), { prefix: '/api' });
  await app.register(engineeringRoutes(deps), { prefix: '/api' });
  await app.register(historyRoutes(deps), { prefix: '/api' });
  app.get('/api/openapi.json', { config: { permission: 'public' }, schema: { hide: true } }, async () => app.swagger());
  // Browsable docs for integrators; assets come from node_modules, so they work offline.
  await app.register(async (docs) => {
    docs.addHook('onRoute', (route) => {
      route.config = { ...route.config, permission: 'public' };
    });
    await docs.register(fastifySwaggerUi, { routePrefix: '/api/docs' });
  });
  return app;
}

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7) : undefined;
}

function safeMessage(payload: string): string | undefined {
  try {
    return (JSON.parse(payload) as { message?: string }).message;
  } catch {
    return undefined;
  }
}
