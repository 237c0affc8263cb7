import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { TelemetryStore } from '../../../telemetry/store/types.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError } from '../http-errors.ts';
import { Open } from './schemas.ts';

/** Store rows as telemetry/store/types.ts defines them, passed through. */
const Rows = Type.Array(Open({}));

const Window = {
  fromMs: Type.Integer({ minimum: 0 }),
  toMs: Type.Integer({ minimum: 0 }),
};
/** A replay window may not exceed a day: the map asks in pieces. */
const MAX_WINDOW_MS = 24 * 3600_000;

function needStore(deps: ApiDeps): TelemetryStore {
  if (!deps.history) throw new ApiError('API_ERR_UNAVAILABLE', 'history needs the telemetry store (InfluxDB)');
  return deps.history;
}

function window(q: { fromMs: number; toMs: number }) {
  if (q.toMs <= q.fromMs) throw new ApiError('API_ERR_VALIDATION', 'querystring/toMs must be after fromMs');
  if (q.toMs - q.fromMs > MAX_WINDOW_MS) throw new ApiError('API_ERR_VALIDATION', 'querystring: the window may span at most 24 h');
  return { fromMs: q.fromMs, toMs: q.toMs };
}

/** Stored history for replay and the map's initial trails; InfluxDB being down is a 503 that says so. */
export function historyRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const guarded = async <T>(f: () => Promise<T>): Promise<T> => {
      try {
        return await f();
      } catch (err) {
        if (err instanceof ApiError) throw err;
        throw new ApiError('API_ERR_UNAVAILABLE', `InfluxDB query failed: ${(err as Error).message}`);
      }
    };

    app.get('/history/latest', { schema: { tags: ['history'], response: { 200: Rows } } }, async () => guarded(() => needStore(deps).latestState()));

    app.get(
      '/history/positions',
      { schema: { tags: ['history'], querystring: Type.Object({ ...Window, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200_000 })) }, { additionalProperties: false }), response: { 200: Rows } } },
      async (req) => {
        const q = req.query;
        return guarded(() => needStore(deps).positions(window(q), { limit: q.limit ?? 50_000 }));
      },
    );

    app.get(
      '/history/track/:deviceId',
      {
        schema: {
          tags: ['history'],
          params: Type.Object({ deviceId: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }) }),
          querystring: Type.Object({ ...Window, maxPoints: Type.Optional(Type.Integer({ minimum: 2, maximum: 20_000 })) }, { additionalProperties: false }),
          response: { 200: Open({ points: Rows, decimated: Type.Boolean(), source: Type.Union([Type.Literal('raw'), Type.Literal('track')]), bucketMs: Type.Optional(Type.Number()) }) },
        },
      },
      async (req) => {
        const q = req.query;
        return guarded(() => needStore(deps).track(req.params.deviceId, window(q), q.maxPoints ?? 1000));
      },
    );

    // Everything that happened in a window, for the time slider: alarms, commands, broadcasts, audit.
    app.get(
      '/history/events',
      { schema: { tags: ['history'], querystring: Type.Object({ ...Window, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50_000 })) }, { additionalProperties: false }), response: { 200: Open({ events: Rows, ledger: Rows, audit: Rows, alarms: Rows, broadcasts: Rows }) } } },
      async (req) => {
        const q = req.query;
        const w = window(q);
        const limit = q.limit ?? 5000;
        const store = needStore(deps);
        return guarded(async () => {
          const [events, ledger, audit, alarms, broadcasts] = await Promise.all([
            store.events(w, { limit }),
            store.ledger(w, { limit }),
            store.audit(w, { limit }),
            store.alarmRecords(w, { limit }),
            store.broadcastRecords(w, { limit }),
          ]);
          return { events, ledger, audit, alarms, broadcasts };
        });
      },
    );
  };
}
