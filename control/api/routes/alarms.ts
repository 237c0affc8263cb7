import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../deps.ts';
import { ApiError } from '../http-errors.ts';
import { needOps } from './need.ts';

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
            },
            { additionalProperties: false },
          ),
        },
      },
      async (req, reply) => {
        const ops = needOps(deps);
        const b = req.body as { latDeg: number; lonDeg: number; note?: string; severity?: 'low' | 'medium' | 'high' | 'critical'; playWarning?: boolean };
        const alarm = ops.alarms.raiseManual({ latDeg: b.latDeg, lonDeg: b.lonDeg }, req.user!.username, b.note, b.severity ?? 'high');
        return reply.status(202).send(await ops.dispatch.dispatch(alarm.id, req.user!.username, b.playWarning === undefined ? {} : { warnNearby: b.playWarning }));
      },
    );

    app.post('/alarms/:id/ack', { config: { permission: 'alarm.manage' }, schema: { tags: ['alarms'], params: AlarmId } }, async (req) => {
      const ops = needOps(deps);
      const r = ops.alarms.acknowledge((req.params as { id: string }).id, req.user!.username);
      if (!r.ok) throw new ApiError(r.reason.startsWith('no alarm') ? 'API_ERR_NOT_FOUND' : 'API_ERR_CONFLICT', r.reason);
      ops.alarmChanged(r.alarm);
      return r.alarm;
    });

    app.post('/alarms/:id/resolve', { config: { permission: 'alarm.manage' }, schema: { tags: ['alarms'], params: AlarmId } }, async (req) => {
      const r = needOps(deps).dispatch.resolve((req.params as { id: string }).id, req.user!.username);
      if ('error' in r) throw new ApiError(r.error.startsWith('no alarm') ? 'API_ERR_NOT_FOUND' : 'API_ERR_CONFLICT', r.error);
      return r;
    });
  };
}
