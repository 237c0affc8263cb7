/** The web console: a fastify plugin to mount beside the control API, or a standalone server with an /api proxy. */
export { webMapPlugin, type WebMapOptions } from './plugin.ts';
export { startWebServer, type WebServer, type WebServerOptions } from './standalone.ts';
export { parseTileSpec, type TileSpec } from './tiles.ts';
export { clientBundle } from './bundle.ts';
