import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ApiDeps } from '../deps.ts';
import { SESSION_COOKIE } from '../authenticate.ts';
import { ApiError } from '../http-errors.ts';
import { ErrorBody, UserBody } from './schemas.ts';

export function authRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/login',
      {
        config: { permission: 'public' },
        schema: {
          tags: ['session'],
          body: Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false }),
          response: { 200: Type.Object({ token: Type.String(), user: UserBody, expiresAtMs: Type.Number() }), 401: ErrorBody, 429: ErrorBody },
          security: [],
        },
      },
      async (req, reply) => {
        const { username, password } = req.body;
        const r = await deps.sessions.login(username, password, req.ip);
        // Logins are audited too, successful or not: who tried to get in matters.
        await deps.audit.record({
          username,
          role: r.ok ? r.user.role : '(none)',
          action: 'POST /api/login',
          target: '/api/login',
          outcome: r.ok ? 'ok' : 'refused',
          status: r.ok ? 200 : r.reason === 'locked' ? 429 : 401,
        });
        if (!r.ok && r.reason === 'locked') {
          void reply.header('retry-after', String(Math.max(1, Math.ceil(r.retryAfterMs / 1000))));
          throw new ApiError('API_ERR_LOCKED');
        }
        if (!r.ok) throw new ApiError('API_ERR_BAD_LOGIN');
        // Secure under TLS, so the browser never sends the session over plain HTTP.
        void reply.setCookie(SESSION_COOKIE, r.token, { httpOnly: true, sameSite: 'strict', secure: req.protocol === 'https', path: '/', expires: new Date(r.expiresAtMs) });
        return { token: r.token, user: r.user, expiresAtMs: r.expiresAtMs };
      },
    );

    app.post(
      '/logout',
      { config: { permission: 'read' }, schema: { tags: ['session'], response: { 204: Type.Null() } } },
      async (req, reply) => {
        const token = req.headers.authorization?.replace(/^Bearer /, '') ?? req.cookies[SESSION_COOKIE];
        if (token) deps.sessions.logout(token);
        void reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return reply.status(204).send(null);
      },
    );

    app.get('/me', { schema: { tags: ['session'], response: { 200: UserBody } } }, async (req) => req.user!);
  };
}
