import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { SpeakerSource } from '../../../protocol/schemas/speaker.ts';
import { RING_IDS } from '../../../site/schema.ts';
import type { BroadcastRecord } from '../../ops/broadcast-service.ts';
import { renderSpeechPreview } from '../../broadcast/speech-preview.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError } from '../http-errors.ts';
import { needOps } from './need.ts';
import { ErrorBody, Open, PointBody } from './schemas.ts';

const Target = Type.Union([
  Type.Object({ kind: Type.Literal('rings'), ringIds: Type.Array(Type.Union(RING_IDS.map((r) => Type.Literal(r))), { minItems: 1, uniqueItems: true }) }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('polygon'), points: Type.Array(PointBody, { minItems: 3, maxItems: 200 }) }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('radius'), center: PointBody, radiusM: Type.Number({ exclusiveMinimum: 0, maximum: 20_000 }) }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('devices'), deviceIds: Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }), { minItems: 1, maxItems: 2000 }) }, { additionalProperties: false }),
]);

const SendBody = Type.Object(
  {
    target: Target,
    source: SpeakerSource,
    volumePct: Type.Number({ minimum: 0, maximum: 100 }),
    loop: Type.Boolean(),
    priority: Type.Integer({ minimum: 0, maximum: 100 }),
  },
  { additionalProperties: false },
);

/**
 * A broadcast as the console shows it: the delivery report (a view of the ledger records
 * of its play commands, control/broadcast/delivery.ts) with who asked for what.
 */
const BroadcastView = Open({
  broadcastId: Type.String(),
  startedAtMs: Type.Number(),
  done: Type.Boolean(),
  counts: Type.Record(Type.String(), Type.Integer()),
  speakers: Type.Array(Open({ speakerId: Type.String(), state: Type.String() })),
  issuer: Type.String(),
  request: Open({}),
  skipped: Type.Optional(Type.Array(Open({}))),
  stoppedAtMs: Type.Optional(Type.Number()),
});
const IdParams = Type.Object({ id: Type.String() });

function view(rec: BroadcastRecord) {
  return { ...rec.report.snapshot(), issuer: rec.issuer, request: rec.request, skipped: rec.skipped, stoppedAtMs: rec.stoppedAtMs };
}

function needBroadcasts(deps: ApiDeps) {
  const b = needOps(deps).broadcasts;
  if (!b) throw new ApiError('API_ERR_UNAVAILABLE', 'broadcasts need the broker connection');
  return b;
}

export function broadcastRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/broadcasts', { schema: { tags: ['broadcasts'], response: { 200: Type.Array(BroadcastView) } } }, async () => needBroadcasts(deps).list().slice(0, 200).map(view));

    app.get('/broadcasts/:id', { schema: { tags: ['broadcasts'], params: IdParams, response: { 200: BroadcastView, 404: ErrorBody } } }, async (req) => {
      const rec = needBroadcasts(deps).get(req.params.id);
      if (!rec) throw new ApiError('API_ERR_NOT_FOUND', 'no broadcast with this id');
      return view(rec);
    });

    app.post('/broadcasts', { config: { permission: 'broadcast.send' }, schema: { tags: ['broadcasts'], body: SendBody, response: { 202: BroadcastView, 400: ErrorBody } } }, async (req, reply) => {
      // A BroadcastError (BCAST_ERR_*) carries its own status: the error handler answers it.
      return reply.status(202).send(view(needBroadcasts(deps).send(req.body, req.user!.username)));
    });

    // Hear a text before it goes out, rendered as the simulated speakers render it. Sends
    // nothing to any device. A GET so the console's <audio> can play it from 'self' under
    // its CSP (no blob: or data: media); chiefs only, like sending.
    app.get(
      '/broadcasts/preview',
      {
        config: { permission: 'broadcast.send' },
        schema: {
          tags: ['broadcasts'],
          querystring: Type.Object({ text: Type.String({ minLength: 1, maxLength: 500 }), lang: Type.Union([Type.Literal('zh-CN'), Type.Literal('en')]) }, { additionalProperties: false }),
          // A WAV file: fastify sends a Buffer as it is (no serializer runs).
          response: { 200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary', description: 'audio/wav' }), 503: ErrorBody },
        },
      },
      async (req, reply) => {
        const r = await renderSpeechPreview(req.query.text, req.query.lang);
        if (!r.ok) throw new ApiError('API_ERR_UNAVAILABLE', r.message);
        return reply.type('audio/wav').header('cache-control', 'private, max-age=300').send(r.wav);
      },
    );

    app.post('/broadcasts/:id/stop', { config: { permission: 'broadcast.send' }, schema: { tags: ['broadcasts'], params: IdParams, response: { 200: BroadcastView, 404: ErrorBody } } }, async (req) => {
      return view(needBroadcasts(deps).stop(req.params.id, req.user!.username));
    });
  };
}
