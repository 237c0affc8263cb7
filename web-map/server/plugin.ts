import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clientBundle } from './bundle.ts';
import { mbtilesReader } from './mbtiles.ts';
import { dirTileReader, type TileReader, type TileSpec } from './tiles.ts';

export interface WebMapOptions {
  /** Basemap source (default: none — the plain grid). */
  tiles?: TileSpec;
  /** Datum the basemap is drawn in: 'gcj02' for AMap/Tencent tiles. Data stays WGS-84. */
  datum?: 'wgs84' | 'gcj02';
  attribution?: string;
  maxZoom?: number;
}

const PUBLIC = fileURLToPath(new URL('../public/', import.meta.url));
const LEAFLET_DIST = `${dirname(createRequire(import.meta.url).resolve('leaflet/package.json'))}/dist/`;

/**
 * The web console as a fastify plugin: index, compiled browser bundle, Leaflet from
 * node_modules, `/config.json` for the basemap, and local tiles under `/tiles/{z}/{x}/{y}`.
 * It serves no `/api` routes: mount it beside the control API (one server) or behind
 * the standalone proxy (`ringwatch web`).
 */
export function webMapPlugin(o: WebMapOptions = {}): FastifyPluginAsync {
  return async (app) => {
    // Everything here is public (the login page must load before a login); the control
    // API's auth hook, when this is mounted beside it, reads this flag.
    app.addHook('onRoute', (route) => {
      route.config = { ...(route.config as object), permission: 'public' } as typeof route.config;
    });
    const bundle = await clientBundle(); // compile at startup, not on the first visitor
    let reader: TileReader | undefined;
    const tiles = o.tiles ?? { kind: 'none' };
    if (tiles.kind === 'dir') reader = dirTileReader(tiles.dir);
    if (tiles.kind === 'mbtiles') reader = await mbtilesReader(tiles.file);
    app.addHook('onClose', async () => reader?.close());

    const tileUrl = tiles.kind === 'url' ? tiles.template : reader ? 'tiles/{z}/{x}/{y}' : undefined;
    const config = { url: tileUrl, attribution: o.attribution, maxZoom: o.maxZoom, datum: o.datum ?? 'wgs84' };

    await app.register(fastifyStatic, { root: PUBLIC, prefix: '/', index: ['index.html'], decorateReply: false, cacheControl: false });
    await app.register(fastifyStatic, { root: LEAFLET_DIST, prefix: '/vendor/leaflet/', decorateReply: false, maxAge: 3600_000 });
    const publicRoute = { schema: { hide: true } };
    app.get('/app.js', publicRoute, async (_req, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').header('etag', `"${bundle.builtMs}"`).send(bundle.js));
    app.get('/config.json', publicRoute, async () => config);
    app.get<{ Params: { z: string; x: string; y: string } }>('/tiles/:z/:x/:y', publicRoute, async (req, reply) => {
      const [z, x, y] = [req.params.z, req.params.x, req.params.y.replace(/\.\w+$/, '')].map(Number);
      if (!reader || ![z, x, y].every((n) => Number.isInteger(n) && n! >= 0) || z! > 24) return reply.status(404).send();
      const tile = await reader.read(z!, x!, y!);
      if (!tile) return reply.status(404).send();
      return reply.type(tile.contentType).header('cache-control', 'public, max-age=86400').send(tile.body);
    });
  };
}
