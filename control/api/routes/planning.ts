import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { planPatrol } from '../../planning/plan.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError } from '../http-errors.ts';
import { Open } from './schemas.ts';

const PlanOptionsBody = Type.Object(
  {
    insetM: Type.Optional(Type.Number({ minimum: 0, maximum: 2000 })),
    nfzMarginM: Type.Optional(Type.Number({ minimum: 0, maximum: 1000 })),
    horizonS: Type.Optional(Type.Number({ minimum: 60, maximum: 24 * 3600 })),
    turnaroundS: Type.Optional(Type.Number({ minimum: 0, maximum: 3600 })),
    takeoffS: Type.Optional(Type.Number({ minimum: 0, maximum: 600 })),
    landingS: Type.Optional(Type.Number({ minimum: 0, maximum: 600 })),
    dispatchReserve: Type.Optional(Type.Integer({ minimum: 0, maximum: 500 })),
  },
  { additionalProperties: false },
);

export function planningRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    // A preview changes nothing on any drone (POST because it takes options); audited all the same.
    app.post(
      '/patrols/preview',
      { config: { permission: 'patrol.manage' }, schema: { tags: ['patrols'], body: Type.Optional(PlanOptionsBody), response: { 200: Open({}, { description: 'the patrol plan (control/planning/types.ts PatrolPlan)' }) } } },
      async (req) =>
        planPatrol({
          site: deps.site,
          nowMs: deps.clock.nowMs(),
          // Plan with the fleet as it is when the control service runs; the site's fleet otherwise.
          ...(deps.ops ? { fleet: deps.ops.fleet.fleetDrones() } : {}),
          options: req.body ?? {},
        }),
    );

    app.get('/coverage', { schema: { tags: ['coverage'], response: { 200: Type.Array(Open({ ringId: Type.String(), targetS: Type.Number(), areaPct: Type.Number(), perimeterPct: Type.Number() })) } } }, async () => {
      const coverage = deps.coverage ?? deps.ops?.coverage;
      if (!coverage) throw new ApiError('API_ERR_UNAVAILABLE', 'live coverage needs the control service');
      return coverage();
    });
  };
}
