import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../deps.ts';
import { ApiError } from '../http-errors.ts';
import { needOps } from './need.ts';
import { DispatchRefused } from '../../ops/dispatch-service.ts';
import { SEVERITY_PRIORITY } from '../../alarms/alarm.ts';

/** DispatchRefused → the API's error vocabulary: a no-fly target is 422, an unconfirmed or impossible choice 409. */
function refusal(err: unknown): never {
  if (err instanceof DispatchRefused) {
    if (err.code === 'no_fly') throw new ApiError('API_ERR_NO_FLY', err.message);
    if (err.code === 'not_found') throw new ApiError('API_ERR_NOT_FOUND', err.message);
    throw new ApiError('API_ERR_CONFLICT', err.message);
  }
  throw err;
}

const AlarmId = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export function alarmRoutes(deps: ApiDeps): FastifyPluginAsync {
  return async (app) => {
    app.get(
      '/alarms',
      { schema: { tags: ['alarms'], querystring: Type.Object({ state: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('all')])) }, { additionalProperties: false }) } },
      async (req) => needOps(deps).alarms.list((req.query as { state?: 'open' | 'all' }).state ?? 'all'),
    );

    // An operator's dispatch to a clicked point: a manual alarm, so it is tracked, timed and audited like any other.
    app.post(
      '/dispatch',
      {
        config: { permission: 'dispatch' },
        schema: {
          tags: ['alarms'],
          body: Type.Object(
            {
              latDeg: Type.Number({ minimum: -90, maximum: 90 }),
              lonDeg: Type.Number({ minimum: -180, maximum: 180 }),
              note: Type.Optional(Type.String({ maxLength: 200 })),
              /** Play the ring's default warning on speakers near the point (default true). */
              playWarning: Type.Optional(Type.Boolean()),
              severity: Type.Optional(Type.Union(['low', 'medium', 'high', 'critical'].map((s) => Type.Literal(s)))),
              /** The operator accepts leaving a patrol ring below its minimum (otherwise 409 with the reason). */
              confirm: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (req, reply) => {
        const ops = needOps(deps);
        const b = req.body as { latDeg: number; lonDeg: number; note?: string; severity?: 'low' | 'medium' | 'high' | 'critical'; playWarning?: boolean; confirm?: boolean };
        const point = { latDeg: b.latDeg, lonDeg: b.lonDeg };
        const severity = b.severity ?? 'high';
        // Checked before an alarm exists: a refused click leaves nothing behind to clear.
        const zone = ops.guard.targetCheck(point);
        if (!zone.ok) throw new ApiError('API_ERR_NO_FLY', zone.message);
        const choice = ops.dispatch.choose(point, SEVERITY_PRIORITY[severity], b.confirm ? { confirm: true } : {});
        if (!choice.ok && choice.code === 'needs_confirmation') throw new ApiError('API_ERR_CONFLICT', choice.message);
        const alarm = ops.alarms.raiseManual(point, req.user!.username, b.note, severity);
        const opts = { ...(b.playWarning === undefined ? {} : { warnNearby: b.playWarning }), ...(b.confirm ? { confirm: true } : {}) };
        return reply.status(202).send(await ops.dispatch.dispatch(alarm.id, req.user!.username, opts).catch(refusal));
      },
    );

    app.post('/alarms/:id/ack', { config: { permission: 'alarm.manage' }, schema: { tags: ['alarms'], params: AlarmId } }, async (req) => {
      const ops = needOps(deps);
      const r = ops.alarms.acknowledge((req.params as { id: string }).id, req.user!.username);
      if (!r.ok) throw new ApiError(r.reason.startsWith('no alarm') ? 'API_ERR_NOT_FOUND' : 'API_ERR_CONFLICT', r.reason);
      ops.alarmChanged(r.alarm);
      return r.alarm;
    });

    // An operator gives an alarm another drone (or the best other one); the only way to take
    // the responder of an open alarm of equal or higher priority.
    app.post(
      '/alarms/:id/reassign',
      {
        config: { permission: 'dispatch' },
        schema: {
          tags: ['alarms'],
          params: AlarmId,
          body: Type.Object(
            {
              droneId: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' })),
              confirm: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (req) => {
        const ops = needOps(deps);
        const b = (req.body ?? {}) as { droneId?: string; confirm?: boolean };
        if (b.droneId && !deps.site.drones.some((d) => d.id === b.droneId)) throw new ApiError('API_ERR_NOT_FOUND', `no drone ${b.droneId} on this site`);
        return ops.dispatch.reassign((req.params as { id: string }).id, req.user!.username, b).catch(refusal);
      },
    );

    app.post('/alarms/:id/resolve', { config: { permission: 'alarm.manage' }, schema: { tags: ['alarms'], params: AlarmId } }, async (req) => {
      const r = needOps(deps).dispatch.resolve((req.params as { id: string }).id, req.user!.username);
      if ('error' in r) throw new ApiError(r.error.startsWith('no alarm') ? 'API_ERR_NOT_FOUND' : 'API_ERR_CONFLICT', r.error);
      return r;
    });
  };
}
