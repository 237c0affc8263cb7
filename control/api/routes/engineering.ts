import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { SiteValidator } from '../../../site/site-validator.ts';
import { watchBrokerStatus } from '../../ops/broker-status.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError } from '../http-errors.ts';
import { needOps } from './need.ts';
import { ErrorBody, OkBody, Open } from './schemas.ts';

/** A site-file check's answer: valid with a summary, or the issues naming file, path and line. */
const ValidateAnswer = Open({ ok: Type.Boolean(), issues: Type.Array(Open({ message: Type.String() })), summary: Type.Optional(Open({})) });

/**
 * Without the simulators' own vocabulary (no simulator attached), the least a fault
 * request must be; the route then answers 503 anyway.
 */
const ANY_FAULT = Type.Object({ device: Type.String({ minLength: 1 }), kind: Type.String({ minLength: 1 }) }, { additionalProperties: true });

/** What an engineer needs: device presence, site-file checks, fault injection into the simulators. */
export function engineeringRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const validator = deps.siteValidator ?? new SiteValidator();
    if (!deps.siteValidator) app.addHook('onClose', async () => validator.close());
    app.get('/devices', { schema: { tags: ['devices'], response: { 200: Type.Array(Open({ id: Type.String(), kind: Type.String(), state: Type.String() })) } } }, async () => needOps(deps).presence.list());

    // Each drone's MAVLink link as the engineer needs it (what /metrics has, for the
    // console): up, quality, heartbeat age, autopilot, frames refused by reason; and each
    // endpoint's counters. Ages on the wall clock, as the links stamp heartbeats.
    app.get(
      '/devices/links',
      { schema: { tags: ['devices'], response: { 200: Open({ drones: Type.Array(Open({ droneId: Type.String(), online: Type.Boolean() })), links: Type.Array(Open({ url: Type.String() })) }), 503: ErrorBody } } },
      async () => {
        const control = deps.control;
        if (!control) throw new ApiError('API_ERR_UNAVAILABLE', 'no MAVLink links in this control service');
        const now = Date.now();
        const drones = [...control.vehicles.values()].map((v) => ({
          droneId: v.droneId,
          online: v.online,
          linkQualityPct: v.linkMeter.qualityPct,
          lastHeartbeatAgeMs: v.lastHeartbeatMs === undefined ? undefined : Math.max(0, now - v.lastHeartbeatMs),
          autopilot: v.autopilot,
          endpoint: v.endpointUrl,
          systemId: v.systemId,
          rejected: { ...control.links.get(v.endpointUrl)?.link.counters.rejectedBySystem.get(v.systemId) },
        }));
        return { drones, links: control.stats().links };
      },
    );

    // The broker as the engineer needs it: control's own link to it (up, since when) and
    // the broker's status as it publishes it (its age, clients, refusals by reason and per
    // device, its health), read over MQTT because the broker may run in another thread,
    // process or host. Ages on the wall clock, as the broker stamps its status.
    const inbound = deps.control?.inbound;
    const brokerWatch = inbound ? watchBrokerStatus(inbound, Date.now, (line) => app.log.warn(line)) : undefined;
    if (brokerWatch) app.addHook('onClose', async () => brokerWatch.close());
    app.get(
      '/devices/broker',
      {
        schema: {
          tags: ['devices'],
          response: {
            200: Open({
              link: Open({ connected: Type.Optional(Type.Boolean()), changedAgoMs: Type.Optional(Type.Number()) }),
              status: Type.Optional(Open({ tsMs: Type.Number(), ageMs: Type.Number(), stale: Type.Boolean(), clientsTotal: Type.Number(), devices: Open({}), health: Open({ status: Type.String() }) })),
            }),
            503: ErrorBody,
          },
        },
      },
      async () => {
        if (!brokerWatch) throw new ApiError('API_ERR_UNAVAILABLE', 'this control service has no broker connection');
        return brokerWatch.book.view(Date.now());
      },
    );

    // Checks a site file before it is deployed; nothing is applied. The check runs in a
    // worker thread with a time budget (site/site-validator.ts): this process also holds
    // the MAVLink links. A file over a resource limit is a 422 naming the limit.
    app.post(
      '/config/validate',
      {
        config: { permission: 'config.manage', audit: true },
        // JSON escaping may grow a 1 MiB file; the file-size limit itself is checked by the loader.
        bodyLimit: 4 * 1024 * 1024,
        schema: {
          tags: ['config'],
          body: Type.Object({ yaml: Type.String({ minLength: 1, maxLength: 2_000_000 }) }, { additionalProperties: false }),
          response: { 200: ValidateAnswer, 422: ErrorBody, 503: ErrorBody },
        },
      },
      async (req) => {
        const outcome = await validator.validate(req.body.yaml, 'submitted.yaml');
        switch (outcome.kind) {
          case 'valid':
            return { ok: true, issues: [], summary: outcome.summary };
          case 'invalid':
            return { ok: false, issues: outcome.issues };
          case 'limit':
            throw new ApiError('API_ERR_SITE_LIMIT', outcome.issues.map((i) => i.message).join('; '));
          case 'busy':
            throw new ApiError('API_ERR_BUSY', outcome.message);
        }
      },
    );

    // A sensor event from an attached simulator, as if the device had seen it: the engineer
    // checks the alarm path end to end without walking to a checkpoint.
    app.post(
      '/sim/events',
      {
        config: { permission: 'sim.manage' },
        schema: {
          tags: ['simulators'],
          body: deps.simEventSchema ?? Type.Object({ type: Type.String({ minLength: 1 }) }, { additionalProperties: true }),
          response: { 200: Open({ ok: Type.Boolean() }), 400: ErrorBody, 503: ErrorBody },
        },
      },
      async (req) => {
        if (!deps.simEvents) throw new ApiError('API_ERR_UNAVAILABLE', 'no simulator is attached to this control service');
        try {
          return { ok: true, event: await deps.simEvents(req.body as Record<string, unknown>) };
        } catch (err) {
          throw Object.assign(new Error((err as Error).message), { statusCode: 400, code: 'API_ERR_SIM_FAULT' });
        }
      },
    );

    app.post(
      '/sim/faults',
      {
        config: { permission: 'sim.manage' },
        schema: {
          tags: ['simulators'],
          // The simulators' own fault vocabulary (given by whoever attached them): the
          // console drives them as an engineer would.
          body: deps.simFaultSchema ?? ANY_FAULT,
          response: { 200: OkBody, 400: ErrorBody, 503: ErrorBody },
        },
      },
      async (req) => {
        if (!deps.simFaults) throw new ApiError('API_ERR_UNAVAILABLE', 'no simulator is attached to this control service');
        try {
          await deps.simFaults(req.body as Record<string, unknown>);
        } catch (err) {
          throw new ApiError('API_ERR_SIM_FAULT', (err as Error).message);
        }
        return { ok: true };
      },
    );
  };
}
