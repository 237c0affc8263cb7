import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Warning } from '../../../site/schema.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError } from '../http-errors.ts';
import { ErrorBody } from './schemas.ts';

const IdParams = Type.Object({ id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }) });

/** The approved warning library: everyone reads it, chiefs manage it. */
export function warningRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/warnings', { schema: { tags: ['warnings'], response: { 200: Type.Array(Warning) } } }, async () => deps.warnings.list());

    app.put(
      '/warnings/:id',
      {
        config: { permission: 'warning.manage' },
        schema: { tags: ['warnings'], params: IdParams, body: Warning, response: { 200: Warning, 201: Warning, 400: ErrorBody } },
      },
      async (req, reply) => {
        const { id } = req.params;
        const w = req.body;
        if (w.id !== id) throw new ApiError('API_ERR_VALIDATION', `body/id "${w.id}" must equal the id in the URL "${id}"`);
        const { created } = deps.warnings.upsert(w);
        deps.hub.publish({ type: 'warnings', data: deps.warnings.list() });
        return reply.status(created ? 201 : 200).send(w);
      },
    );

    app.delete(
      '/warnings/:id',
      { config: { permission: 'warning.manage' }, schema: { tags: ['warnings'], params: IdParams, response: { 204: Type.Null(), 404: ErrorBody, 409: ErrorBody } } },
      async (req, reply) => {
        const { id } = req.params;
        const inUse = deps.site.rings.find((r) => r.defaultWarning === id);
        if (inUse) throw new ApiError('API_ERR_CONFLICT', `warning ${id} is the ${inUse.id} ring's default warning`);
        if (!deps.warnings.remove(id)) throw new ApiError('API_ERR_NOT_FOUND', `no warning with id ${id}`);
        deps.hub.publish({ type: 'warnings', data: deps.warnings.list() });
        return reply.status(204).send(null);
      },
    );
  };
}
