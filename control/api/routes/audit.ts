import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../deps.ts';

export function auditRoutes(deps: ApiDeps): FastifyPluginAsync {
  return async (app) => {
    app.get(
      '/audit',
      {
        schema: {
          tags: ['audit'],
          querystring: Type.Object(
            { sinceMs: Type.Optional(Type.Integer({ minimum: 0 })), username: Type.Optional(Type.String()), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })) },
            { additionalProperties: false },
          ),
        },
      },
      async (req) => deps.audit.list(req.query as { sinceMs?: number; username?: string; limit?: number }),
    );
  };
}
