import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { authorize } from '../auth/roles.ts';
import { ApiError } from './http-errors.ts';
import type { SessionStore } from './sessions.ts';

export const SESSION_COOKIE = 'rw_session';

/**
 * The login and role check, registered as an onRequest hook inside the plugin scope
 * that owns the API routes. It runs for every route of that scope whatever spelling of
 * the URL reached it (`/%61pi/...`, `/api/./x`): the decision is taken from the matched
 * route's own `config.permission`, never from the request URL. A route that names no
 * permission needs a login and `read` (deny-leaning default).
 */
export function authenticate(sessions: SessionStore): onRequestAsyncHookHandler {
  return async (req) => {
    const permission = req.routeOptions.config?.permission ?? 'read';
    if (permission === 'public') return;
    const token = sessionToken(req);
    const user = token ? sessions.touch(token) : undefined;
    if (!user) throw new ApiError('API_ERR_UNAUTHENTICATED');
    req.user = user;
    const decision = authorize(user.role, permission);
    if (!decision.allow) throw new ApiError('API_ERR_FORBIDDEN', decision.reason);
  };
}

/** The session token from `Authorization: Bearer …` or the session cookie. */
export function sessionToken(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (h?.startsWith('Bearer ')) return h.slice(7);
  return req.cookies[SESSION_COOKIE];
}
