import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { parseSite, SiteError } from '../../../site/load.ts';
import type { ApiDeps } from '../app.ts';
import { ApiError } from '../http-errors.ts';
import { needOps } from './need.ts';
import { FaultRequest } from '../../../simulators/fleet/faults.ts';

/** What an engineer needs: device presence, site-file checks, fault injection into the simulators. */
export function engineeringRoutes(deps: ApiDeps): FastifyPluginAsync {
  return async (app) => {
    app.get('/devices', { schema: { tags: ['devices'] } }, async () => needOps(deps).presence.list());

    // Checks a site file before it is deployed; nothing is applied.
    app.post(
      '/config/validate',
      {
        config: { permission: 'config.manage', audit: true },
        schema: { tags: ['config'], body: Type.Object({ yaml: Type.String({ minLength: 1, maxLength: 2_000_000 }) }, { additionalProperties: false }) },
      },
      async (req) => {
        try {
          const site = parseSite((req.body as { yaml: string }).yaml, 'submitted.yaml');
          return { ok: true, issues: [], summary: { rings: site.rings.length, drones: site.drones.length, speakers: site.speakers.length, checkpoints: site.checkpoints.length } };
        } catch (err) {
          if (err instanceof SiteError) return { ok: false, issues: err.issues };
          throw err;
        }
      },
    );

    app.post(
      '/sim/faults',
      {
        config: { permission: 'sim.manage' },
        schema: {
          tags: ['simulators'],
          // The simulators' own fault vocabulary: the console drives them as an engineer would.
          body: FaultRequest,
        },
      },
      async (req) => {
        if (!deps.simFaults) throw new ApiError('API_ERR_UNAVAILABLE', 'no simulator is attached to this control service');
        try {
          await deps.simFaults(req.body as Record<string, unknown>);
        } catch (err) {
          throw Object.assign(new Error((err as Error).message), { statusCode: 400, code: 'API_ERR_SIM_FAULT' });
        }
        return { ok: true };
      },
    );
  };
}
