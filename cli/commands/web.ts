import { loadSite } from '../../site/index.ts';
import { startWebServer } from '../../web-map/server/standalone.ts';
import { parseTileSpec } from '../../web-map/server/tiles.ts';
import { parsePort, requireString, UsageError, waitForStopSignal, type Command } from '../args.ts';
import { DEFAULT_CONTROL_URL } from '../../protocol/ports.ts';

const usage = `Usage: ringwatch web --site FILE --control URL [--port N] [--host ADDR]
                     [--tiles URL|DIR|FILE.mbtiles] [--datum wgs84|gcj02] [--attribution TEXT]

Serves the operators' and station chiefs' web console (Leaflet map, live drones, patrols,
alarms, broadcasts, history) and proxies /api/* (including the /api/live event stream)
to the control service, so the browser talks to one origin. Works offline: with no tiles
the map draws the site on a plain grid.

  --site FILE        site file (e.g. sites/demo.yaml); checked at start
  --control URL      control API base URL (default ${DEFAULT_CONTROL_URL})
  --port N           HTTP port (default 8090; 0 = any free port)
  --host ADDR        listen address (default 127.0.0.1)
  --tiles SRC        basemap: an XYZ URL template (http://host/{z}/{x}/{y}.png),
                     a z/x/y tile folder, or an .mbtiles file (default: none)
  --datum D          datum the basemap is drawn in: wgs84 (default) or gcj02 for
                     AMap/Tencent tiles; all data stays WGS-84
  --attribution TEXT basemap attribution shown on the map`;

export const webCommand: Command = {
  name: 'web',
  summary: 'serve the web map console and proxy the control API',
  usage,
  options: {
    site: { type: 'string' },
    control: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    tiles: { type: 'string' },
    datum: { type: 'string' },
    attribution: { type: 'string' },
  },
  async run(values) {
    const site = loadSite(requireString(values, 'site', usage));
    const controlUrl = typeof values['control'] === 'string' ? values['control'] : DEFAULT_CONTROL_URL;
    if (!/^https?:\/\//.test(controlUrl)) throw new UsageError(`--control must be an http(s) URL, got "${controlUrl}"`);
    const datum = values['datum'] ?? 'wgs84';
    if (datum !== 'wgs84' && datum !== 'gcj02') throw new UsageError(`--datum must be wgs84 or gcj02, got "${String(datum)}"`);
    let tiles;
    try {
      tiles = parseTileSpec(typeof values['tiles'] === 'string' ? values['tiles'] : undefined);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const server = await startWebServer({
      controlUrl,
      port: parsePort(values['port'], 'port', 8090),
      host: typeof values['host'] === 'string' ? values['host'] : '127.0.0.1',
      tiles,
      datum,
      ...(typeof values['attribution'] === 'string' ? { attribution: values['attribution'] } : {}),
    });
    process.stdout.write(`web: ${site.site.name} console on ${server.url} (API from ${controlUrl}; tiles: ${tiles.kind})\n`);
    const sig = await waitForStopSignal();
    process.stdout.write(`web: ${sig}, closing\n`);
    await server.close();
  },
};
