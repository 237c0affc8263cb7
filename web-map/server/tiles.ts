import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';

/** Where the basemap comes from: a remote XYZ template, a z/x/y folder, an MBTiles file, or nothing. */
export type TileSpec = { kind: 'none' } | { kind: 'url'; template: string } | { kind: 'dir'; dir: string } | { kind: 'mbtiles'; file: string };

/** `--tiles` as given on the command line: a URL template, a folder, or a `.mbtiles` file. */
export function parseTileSpec(arg: string | undefined): TileSpec {
  if (!arg) return { kind: 'none' };
  if (/^https?:\/\//.test(arg) || arg.startsWith('/') === false && arg.includes('{z}')) return { kind: 'url', template: arg };
  const path = resolve(arg);
  if (!existsSync(path)) throw new Error(`--tiles: ${arg} is neither a URL template nor an existing folder or .mbtiles file`);
  if (statSync(path).isDirectory()) return { kind: 'dir', dir: path };
  if (extname(path) === '.mbtiles') return { kind: 'mbtiles', file: path };
  throw new Error(`--tiles: ${arg} is a file but not .mbtiles`);
}

export interface Tile {
  body: Buffer;
  contentType: string;
}

/** Reads one tile; undefined when there is none. */
export interface TileReader {
  read(z: number, x: number, y: number): Promise<Tile | undefined>;
  close(): void;
}

const TYPES: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp', '.pbf': 'application/x-protobuf' };

/** A `z/x/y.{png,jpg,jpeg,webp}` folder, as exported by most tile downloaders. */
export function dirTileReader(dir: string): TileReader {
  return {
    async read(z, x, y) {
      for (const [ext, contentType] of Object.entries(TYPES)) {
        try {
          return { body: await readFile(join(dir, String(z), String(x), `${y}${ext}`)), contentType };
        } catch {
          // try the next extension
        }
      }
      return undefined;
    },
    close() {},
  };
}

/** Detects an image type from its first bytes (MBTiles rows carry no type per tile). */
export function sniffImageType(b: Buffer): string {
  if (b[0] === 0x89 && b[1] === 0x50) return 'image/png';
  if (b[0] === 0xff && b[1] === 0xd8) return 'image/jpeg';
  if (b.subarray(0, 4).toString() === 'RIFF') return 'image/webp';
  return 'application/octet-stream';
}
