import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ApiDeps } from '../deps.ts';
import { Open } from './schemas.ts';

/** One audit record (control/api/audit-log.ts); `request` is the redacted body. */
const AuditRecordBody = Open({
  id: Type.String(),
  tsMs: Type.Number(),
  username: Type.String(),
  role: Type.String(),
  action: Type.String(),
  target: Type.String(),
  outcome: Type.Union([Type.Literal('ok'), Type.Literal('refused'), Type.Literal('failed')]),
  status: Type.Integer(),
  detail: Type.Optional(Type.String()),
});

export function auditRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
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
          response: { 200: Type.Array(AuditRecordBody) },
        },
      },
      async (req) => deps.audit.list(req.query),
    );
  };
}
