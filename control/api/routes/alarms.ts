import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ApiDeps } from '../deps.ts';
import { ApiError } from '../http-errors.ts';
import { needOps } from './need.ts';
import { AlarmBody, ErrorBody } from './schemas.ts';
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

export function alarmRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/alarms',
      { schema: { tags: ['alarms'], querystring: Type.Object({ state: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('all')])) }, { additionalProperties: false }), response: { 200: Type.Array(AlarmBody) } } },
      async (req) => needOps(deps).alarms.list(req.query.state ?? 'all'),
    );

    // Sensor events refused as untrustworthy (another checkpoint named, a position far from
    // the sensor's own, an unknown device), by reason since control started (issue 14 item 2).
    app.get(
      '/alarms/refused-events',
      { schema: { tags: ['alarms'], response: { 200: Type.Object({ unknown_sensor: Type.Integer(), wrong_checkpoint: Type.Integer(), position_far: Type.Integer() }) } } },
      async () => ({ ...needOps(deps).alarms.refused }),
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
              severity: Type.Optional(Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high'), Type.Literal('critical')])),
              /** The operator accepts leaving a patrol ring below its minimum (otherwise 409 with the reason). */
              confirm: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false },
          ),
          response: { 202: AlarmBody, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody },
        },
      },
      async (req, reply) => {
        const ops = needOps(deps);
        const b = req.body;
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

    app.post('/alarms/:id/ack', { config: { permission: 'alarm.manage' }, schema: { tags: ['alarms'], params: AlarmId, response: { 200: AlarmBody, 404: ErrorBody, 409: ErrorBody } } }, async (req) => {
      const ops = needOps(deps);
      const { id } = req.params;
      if (!ops.alarms.get(id)) throw new ApiError('API_ERR_NOT_FOUND', `no alarm ${id}`);
      const r = ops.alarms.acknowledge(id, req.user!.username);
      if (!r.ok) throw new ApiError('API_ERR_CONFLICT', r.reason);
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
          response: { 200: AlarmBody, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody },
        },
      },
      async (req) => {
        const ops = needOps(deps);
        const b = req.body ?? {};
        if (b.droneId && !deps.site.drones.some((d) => d.id === b.droneId)) throw new ApiError('API_ERR_NOT_FOUND', `no drone ${b.droneId} on this site`);
        return ops.dispatch.reassign(req.params.id, req.user!.username, b).catch(refusal);
      },
    );

    app.post('/alarms/:id/resolve', { config: { permission: 'alarm.manage' }, schema: { tags: ['alarms'], params: AlarmId, response: { 200: AlarmBody, 404: ErrorBody, 409: ErrorBody } } }, async (req) => {
      const ops = needOps(deps);
      const { id } = req.params;
      // Existence first, then the book's word: no mapping of errors by their wording.
      if (!ops.alarms.get(id)) throw new ApiError('API_ERR_NOT_FOUND', `no alarm ${id}`);
      const r = ops.dispatch.resolve(id, req.user!.username);
      if ('error' in r) throw new ApiError('API_ERR_CONFLICT', r.error);
      return r;
    });
  };
}
