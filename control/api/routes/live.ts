import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../app.ts';

/**
 * Server-sent events: one `batch` event per flush with an array of live updates.
 * SSE rather than WebSocket because the flow is one way, it passes through proxies as
 * plain HTTP, the browser reconnects by itself, and the session cookie authenticates it.
 */
export function liveRoutes(deps: ApiDeps): FastifyPluginAsync {
  return async (app) => {
    app.get('/live', { schema: { tags: ['live'], hide: false } }, (req, reply) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      res.write(`retry: 2000\n\n`);
      let seq = 0;
      const unsubscribe = deps.hub.subscribe((batch) => {
        // Slow client: skip writing while the socket buffer is full rather than queue in memory.
        if (res.writableNeedDrain) return;
        res.write(`id: ${++seq}\nevent: batch\ndata: ${JSON.stringify(batch)}\n\n`);
      });
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
      req.raw.on('close', () => {
        clearInterval(keepAlive);
        unsubscribe();
      });
    });
  };
}
