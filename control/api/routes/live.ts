import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ApiDeps } from '../deps.ts';
import type { LiveEvent } from '../../live/event-hub.ts';

const MAX_HELD = 20_000;

/**
 * Server-sent events: one `batch` event per flush with an array of live updates.
 * SSE rather than WebSocket because the flow is one way, it passes through proxies as
 * plain HTTP, the browser reconnects by itself, and the session cookie authenticates it.
 */
export function liveRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    // An event stream never ends by itself: the server's close would wait for every open
    // console (30 s, then the stack's backstop, and the process lingers). End them first;
    // browsers reconnect by themselves (retry: 2000) once the API is back.
    // The socket is closed too: a keep-alive connection would otherwise outlive the server
    // and keep the process running.
    const streams = new Map<import('node:http').ServerResponse, () => void>();
    app.addHook('preClose', (done) => {
      for (const [res, stop] of streams) {
        stop();
        res.end(() => res.socket?.destroy());
      }
      streams.clear();
      done();
    });
    app.get('/live', { schema: { tags: ['live'], hide: false, response: { 200: Type.String({ description: 'text/event-stream: `batch` events, each data a JSON array of LiveEvent (control/live/live-event.ts)' }) } } }, (req, reply) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      res.write(`retry: 2000\n\n`);
      let seq = 0;
      // A slow client: hold batches while its socket buffer is full, shedding old
      // telemetry first (the next position supersedes it), never ledger or alarm updates.
      let held: LiveEvent[] = [];
      const write = (batch: LiveEvent[]) => res.write(`id: ${++seq}\nevent: batch\ndata: ${JSON.stringify(batch)}\n\n`);
      const unsubscribe = deps.hub.subscribe((batch) => {
        if (!res.writableNeedDrain && held.length === 0) return void write(batch);
        held.push(...batch);
        if (held.length > MAX_HELD) {
          const keep = held.filter((e) => e.type !== 'telemetry');
          held = [...keep, ...held.filter((e) => e.type === 'telemetry').slice(-Math.max(0, MAX_HELD - keep.length))];
        }
      });
      res.on('drain', () => {
        if (held.length === 0) return;
        const batch = held;
        held = [];
        write(batch);
      });
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
      const stop = () => {
        streams.delete(res);
        clearInterval(keepAlive);
        unsubscribe();
      };
      streams.set(res, stop);
      req.raw.on('close', stop);
    });
  };
}
