import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { PatrolPlan } from '../../planning/types.ts';
import { PlanRunner, type PlanJobInput } from '../../ops/plan-runner.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError } from '../http-errors.ts';
import { ErrorBody, Open } from './schemas.ts';

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

const runners = new WeakMap<ApiDeps, PlanRunner>();

/**
 * The app's one planning worker (control/ops/plan-runner.ts), shared by preview and
 * start so their plans queue behind each other rather than run two at a time on two
 * cores; closed with the app.
 */
export function planRunnerOf(deps: ApiDeps, app: FastifyInstance): PlanRunner {
  const runner = runners.get(deps) ?? new PlanRunner(deps.site);
  runners.set(deps, runner);
  app.addHook('onClose', async () => {
    if (runners.get(deps) === runner) runners.delete(deps);
    await runner.close();
  });
  return runner;
}

/** A plan from the worker, or the API's refusal naming the limit or the queue. */
export async function planOffThread(runner: PlanRunner, input: PlanJobInput): Promise<PatrolPlan> {
  const outcome = await runner.plan(input);
  if (outcome.kind === 'plan') return outcome.plan;
  throw new ApiError('API_ERR_BUSY', `no patrol plan: ${outcome.message}`);
}

export function planningRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    // The 1,000-drone bench:up site takes about 0.4 s to plan: off the event loop, so
    // the console, history and /metrics keep answering meanwhile.
    const runner = planRunnerOf(deps, app);
    // A preview changes nothing on any drone (POST because it takes options); audited all the same.
    app.post(
      '/patrols/preview',
      {
        config: { permission: 'patrol.manage' },
        schema: { tags: ['patrols'], body: Type.Optional(PlanOptionsBody), response: { 200: Open({}, { description: 'the patrol plan (control/planning/types.ts PatrolPlan)' }), 503: ErrorBody } },
      },
      async (req) =>
        planOffThread(runner, {
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
