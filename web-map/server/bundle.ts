import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('../client/main.ts', import.meta.url));

export interface ClientBundle {
  js: string;
  builtMs: number;
  tookMs: number;
}

let cached: Promise<ClientBundle> | undefined;

/**
 * The browser code, compiled from TypeScript with esbuild when the server starts (no
 * build step for the user) and kept in memory for the life of the process. Leaflet is
 * bundled from node_modules: the console needs no CDN and works offline.
 */
export function clientBundle(): Promise<ClientBundle> {
  cached ??= (async () => {
    const t0 = performance.now();
    const out = await build({
      entryPoints: [ENTRY],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
      write: false,
      minify: true,
      sourcemap: 'inline',
      legalComments: 'none',
      logLevel: 'silent',
    });
    return { js: out.outputFiles[0]!.text, builtMs: Date.now(), tookMs: performance.now() - t0 };
  })();
  cached.catch(() => (cached = undefined));
  return cached;
}
