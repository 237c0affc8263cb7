import { Type, type TProperties } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ApiDeps } from '../deps.ts';
import { ApiError } from '../http-errors.ts';
import { needControl } from './need.ts';
import { ErrorBody, LedgerRecordBody, Open } from './schemas.ts';

const Alt = Type.Number({ minimum: 2, maximum: 500 });
const Lat = Type.Number({ minimum: -90, maximum: 90 });
const Lon = Type.Number({ minimum: -180, maximum: 180 });
const obj = <T extends TProperties>(props: T) => Type.Object(props, { additionalProperties: false });

/** What an operator may ask of a drone from the console (uploads go through patrols). */
export const DroneCommandBody = Type.Union([
  obj({ action: Type.Literal('arm') }),
  obj({ action: Type.Literal('disarm') }),
  obj({ action: Type.Literal('takeoff'), altitudeRelM: Alt }),
  obj({ action: Type.Literal('land') }),
  obj({ action: Type.Literal('rtl') }),
  obj({ action: Type.Literal('loiter') }),
  obj({ action: Type.Literal('goto'), latDeg: Lat, lonDeg: Lon, altitudeRelM: Alt }),
  obj({ action: Type.Literal('set_mode'), mode: Type.String({ minLength: 1, maxLength: 32 }) }),
  obj({ action: Type.Literal('set_speed'), speedMps: Type.Number({ exclusiveMinimum: 0, maximum: 40 }) }),
]);

/** The command's ledger record; a go-to round a no-fly zone adds the route it takes. */
const CommandAnswer = Type.Object(
  { ...LedgerRecordBody.properties, route: Type.Optional(Open({ legs: Type.Array(Open({})), zonesAvoided: Type.Array(Type.String()), lengthM: Type.Number() })) },
  { additionalProperties: true },
);

const DroneId = Type.Object({ id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }) });

export function droneRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/drones', { schema: { tags: ['drones'], response: { 200: Type.Array(Open({ id: Type.String(), name: Type.String(), link: Type.Union([Type.Literal('never'), Type.Literal('ok'), Type.Literal('lost')]) })) } } }, async () => {
      const control = needControl(deps);
      return deps.site.drones.map((d) => {
        const v = control.vehicles.get(d.id);
        const telemetry = deps.ops?.fleet.telemetry(d.id);
        const fresh = deps.ops?.fleet.freshness(d.id);
        return {
          id: d.id,
          name: d.name,
          link: !v || v.lastHeartbeatMs === undefined ? 'never' : v.online ? 'ok' : 'lost',
          // After a link loss this is the last report, stamped when it was measured.
          ...(telemetry ? { telemetry } : {}),
          ...(fresh ? { telemetryAgeMs: Math.round(fresh.ageMs), telemetryStale: fresh.stale } : {}),
          task: deps.ops?.fleet.task(d.id) ?? { kind: 'docked' },
          statusText: v?.statusTexts.at(-1)?.text,
        };
      });
    });

    app.post(
      '/drones/:id/commands',
      { config: { permission: 'drone.command' }, schema: { tags: ['drones'], params: DroneId, body: DroneCommandBody, response: { 202: CommandAnswer, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody } } },
      async (req, reply) => {
        const control = needControl(deps);
        const { id } = req.params;
        if (!control.vehicles.has(id)) throw new ApiError('API_ERR_NOT_FOUND', `no drone ${id} on this site`);
        const body = req.body;
        const ops = deps.ops;
        if (body.action === 'goto' && ops) {
          // Issue 14 items 1 and 3: a go-to that cannot achieve anything, or whose target or
          // way enters a no-fly zone, is refused with the reason before anything is sent.
          const to = { latDeg: body.latDeg, lonDeg: body.lonDeg };
          const target = ops.guard.targetCheck(to);
          if (!target.ok) throw new ApiError('API_ERR_NO_FLY', target.message);
          if (!ops.fleet.airborne(id)) throw new ApiError('API_ERR_CONFLICT', `${id} is not in the air (disarmed or on the ground): a go-to cannot move it; take off first`);
          const way = ops.guard.route(ops.guard.origin(id), to);
          if (!way.ok) throw new ApiError('API_ERR_NO_FLY', way.message);
          if (way.zonesAvoided.length > 0) {
            // Round the zone as GUIDED legs, each settled on arrival before the next is sent.
            const first = await new Promise<string>((resolve) => {
              void ops.guard.flyLegs(id, way.legs, body.altitudeRelM, undefined, req.user!.username, (cid) => resolve(cid));
            });
            return reply.status(202).send({ ...control.ledger.get(first)!, route: { legs: way.legs, zonesAvoided: way.zonesAvoided, lengthM: Math.round(way.lengthM) } });
          }
        }
        const cmd = control.drones.issue(id, body, req.user!.username);
        // 202: accepted for delivery; the record moves on the drone's own answers.
        return reply.status(202).send(control.ledger.get(cmd.id)!);
      },
    );

    app.get(
      '/ledger',
      { schema: { tags: ['ledger'], querystring: Type.Object({ sinceMs: Type.Optional(Type.Integer({ minimum: 0 })), target: Type.Optional(Type.String()) }, { additionalProperties: false }), response: { 200: Type.Array(LedgerRecordBody) } } },
      async (req) => {
        const control = needControl(deps);
        const q = req.query;
        return control.ledger
          .list()
          .filter((r) => (q.sinceMs === undefined || r.updatedMs >= q.sinceMs) && (!q.target || r.target.id === q.target))
          .sort((a, b) => b.createdMs - a.createdMs)
          .slice(0, 1000);
      },
    );

    app.get('/ledger/:id', { schema: { tags: ['ledger'], params: Type.Object({ id: Type.String() }), response: { 200: LedgerRecordBody, 404: ErrorBody } } }, async (req) => {
      const rec = needControl(deps).ledger.get(req.params.id);
      if (!rec) throw new ApiError('API_ERR_NOT_FOUND', 'no ledger record with this id');
      return rec;
    });

    app.post(
      '/ledger/:id/cancel',
      { config: { permission: 'drone.command' }, schema: { tags: ['ledger'], params: Type.Object({ id: Type.String() }), response: { 200: LedgerRecordBody, 404: ErrorBody } } },
      async (req) => {
        const control = needControl(deps);
        const { id } = req.params;
        if (!control.ledger.get(id)) throw new ApiError('API_ERR_NOT_FOUND', 'no ledger record with this id');
        control.ledger.cancel(id);
        return control.ledger.get(id);
      },
    );
  };
}
