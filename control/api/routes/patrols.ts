import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { RING_IDS, type RingId } from '../../../site/schema.ts';
import type { ApiDeps } from '../deps.ts';
import { needOps } from './need.ts';

const RingsBody = Type.Optional(
  Type.Object({ ringIds: Type.Optional(Type.Array(Type.Union(RING_IDS.map((r) => Type.Literal(r))), { minItems: 1, uniqueItems: true })) }, { additionalProperties: false }),
);

export function patrolRoutes(deps: ApiDeps): FastifyPluginAsync {
  return async (app) => {
    app.get('/patrols', { schema: { tags: ['patrols'] } }, async () => needOps(deps).patrols.state());

    app.post('/patrols/start', { config: { permission: 'patrol.manage' }, schema: { tags: ['patrols'], body: RingsBody } }, async (req) => {
      const body = req.body as { ringIds?: RingId[] } | undefined;
      return needOps(deps).patrols.start(body?.ringIds);
    });

    app.post('/patrols/stop', { config: { permission: 'patrol.manage' }, schema: { tags: ['patrols'], body: RingsBody } }, async (req) => {
      const body = req.body as { ringIds?: RingId[] } | undefined;
      return needOps(deps).patrols.stop(body?.ringIds, req.user!.username);
    });
  };
}
