import { startWebServer, type WebServer } from '../../web-map/server/standalone.ts';
import type { WebMapOptions } from '../../web-map/server/plugin.ts';
import { startControlStack, type ControlStack, type ControlStackOptions } from './control-stack.ts';

export interface WebStackOptions extends ControlStackOptions {
  web?: WebMapOptions;
}

export interface WebStack extends ControlStack {
  /** The console, as `ringwatch web` serves it: http://127.0.0.1:PORT, `/api/*` proxied to `apiUrl`. */
  webUrl: string;
  web: WebServer;
}

/**
 * The control stack (broker, simulator fleet, control service, operations, API) plus the
 * web console in front of it through the standalone proxy, all on port 0. Always `close()` it.
 */
export async function startWebStack(o: WebStackOptions = {}): Promise<WebStack> {
  const { web: webOpts, ...controlOpts } = o;
  const stack = await startControlStack(controlOpts);
  let web: WebServer;
  try {
    web = await startWebServer({ ...webOpts, controlUrl: stack.apiUrl, port: 0 });
  } catch (err) {
    await stack.close();
    throw err;
  }
  return {
    ...stack,
    web,
    webUrl: web.url,
    async close() {
      await web.close();
      await stack.close();
    },
  };
}
