import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { sniffImageType, type TileReader } from './tiles.ts';

/** The part of sql.js this reader uses (the package ships no types). */
interface SqlDatabase {
  prepare(sql: string): { bind(v: unknown[]): void; step(): boolean; get(): unknown[]; reset(): void; free(): void };
  exec(sql: string): { values: unknown[][] }[];
  close(): void;
}
type InitSqlJs = () => Promise<{ Database: new (data: Uint8Array) => SqlDatabase }>;

/**
 * An MBTiles file (SQLite, TMS rows) read with sql.js, SQLite compiled to WebAssembly:
 * better-sqlite3 needs a native build that this offline machine cannot fetch or run
 * install scripts for. sql.js holds the whole file in memory, which suits the district
 * basemaps an MBTiles export holds (tens to a few hundred MB), not country-wide sets.
 */
export async function mbtilesReader(file: string): Promise<TileReader & { metadata: Record<string, string> }> {
  const initSqlJs = createRequire(import.meta.url)('sql.js') as InitSqlJs;
  const SQL = await initSqlJs();
  const db = new SQL.Database(readFileSync(file));
  const metadata: Record<string, string> = {};
  try {
    for (const [k, v] of db.exec('SELECT name, value FROM metadata')[0]?.values ?? []) metadata[String(k)] = String(v);
  } catch {
    // metadata is optional for reading tiles
  }
  const stmt = db.prepare('SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?');
  return {
    metadata,
    async read(z, x, y) {
      // MBTiles rows count from the south (TMS); XYZ counts from the north.
      stmt.bind([z, x, 2 ** z - 1 - y]);
      try {
        if (!stmt.step()) return undefined;
        const data = stmt.get()[0];
        if (!(data instanceof Uint8Array)) return undefined;
        const body = Buffer.from(data);
        const fmt = metadata['format'];
        return { body, contentType: fmt === 'jpg' ? 'image/jpeg' : fmt === 'png' ? 'image/png' : fmt === 'webp' ? 'image/webp' : sniffImageType(body) };
      } finally {
        stmt.reset();
      }
    },
    close() {
      stmt.free();
      db.close();
    },
  };
}
