import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { RING_IDS } from '../../../site/schema.ts';
import type { ApiDeps } from '../deps.ts';
import { needOps } from './need.ts';
import { planOffThread, planRunnerOf } from './planning.ts';
import { ErrorBody, Open } from './schemas.ts';

/** Each ring's patrol as PatrolService reports it (control/ops/patrol-service.ts RingPatrolState). */
const PatrolStates = Type.Array(Open({ ringId: Type.String() }));

const RingsBody = Type.Optional(
  Type.Object({ ringIds: Type.Optional(Type.Array(Type.Union(RING_IDS.map((r) => Type.Literal(r))), { minItems: 1, uniqueItems: true })) }, { additionalProperties: false }),
);

export function patrolRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/patrols', { schema: { tags: ['patrols'], response: { 200: PatrolStates } } }, async () => needOps(deps).patrols.state());

    // Planned in the worker the preview uses (planning.ts): never on the event loop.
    const runner = planRunnerOf(deps, app);
    app.post('/patrols/start', { config: { permission: 'patrol.manage' }, schema: { tags: ['patrols'], body: RingsBody, response: { 200: PatrolStates, 503: ErrorBody } } }, async (req) => {
      return needOps(deps).patrols.startPlanned(req.body?.ringIds, (input) => planOffThread(runner, input));
    });

    app.post('/patrols/stop', { config: { permission: 'patrol.manage' }, schema: { tags: ['patrols'], body: RingsBody, response: { 200: PatrolStates } } }, async (req) => {
      return needOps(deps).patrols.stop(req.body?.ringIds, req.user!.username);
    });
  };
}
