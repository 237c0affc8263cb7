import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../control/api/app.ts';
import { AuditLog } from '../../control/api/audit-log.ts';
import { EventHub } from '../../control/live/event-hub.ts';
import { SessionStore } from '../../control/api/sessions.ts';
import { WarningLibrary } from '../../control/ops/warning-library.ts';
import { systemClock } from '../../control/timeouts.ts';
import type { LedgerRecord } from '../../control/ledger/machine.ts';
import { webMapPlugin } from '../../web-map/server/plugin.ts';
import { startWebServer, type WebServer } from '../../web-map/server/standalone.ts';
import { parseTileSpec } from '../../web-map/server/tiles.ts';
import { demoSite } from '../helpers/broker.ts';
import { firstSseEvent } from '../helpers/sse.ts';

// A 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');

const closers: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'rw-web-'));
  closers.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

async function api(): Promise<{ app: FastifyInstance; hub: EventHub }> {
  const { site } = demoSite();
  const dataDir = tmp();
  const audit = await AuditLog.open({ dataDir, clock: systemClock });
  const hub = new EventHub(20);
  const app = await buildApi({ site, clock: systemClock, sessions: new SessionStore(site.users, systemClock), audit, warnings: new WarningLibrary(site.warnings, dataDir), hub });
  closers.push(() => audit.close(), () => hub.close(), () => app.close());
  return { app, hub };
}

describe('web map plugin', () => {
  it('serves the console publicly beside the control API, which still demands a login', async () => {
    const { app } = await api();
    await app.register(webMapPlugin());
    const index = await app.inject('/');
    expect(index.statusCode).toBe(200);
    expect(index.body).toContain('<script type="module" src="app.js">');
    const js = await app.inject('/app.js');
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.body).toContain('/api/live'); // compiled from web-map/client
    expect(js.body.length).toBeGreaterThan(100_000); // Leaflet is bundled, not fetched from a CDN
    expect((await app.inject('/vendor/leaflet/leaflet.css')).statusCode).toBe(200);
    expect((await app.inject('/app.css')).statusCode).toBe(200);
    expect((await app.inject('/config.json')).json()).toEqual({ datum: 'wgs84' });
    expect((await app.inject('/api/site')).statusCode).toBe(401);
    expect((await app.inject('/tiles/1/0/0')).statusCode).toBe(404);
  });

  it('serves local tiles from a z/x/y folder and from an MBTiles file (TMS rows)', async () => {
    const dir = tmp();
    mkdirSync(join(dir, '14', '13647'), { recursive: true });
    writeFileSync(join(dir, '14', '13647', '6763.png'), PNG);
    const { app } = await api();
    await app.register(webMapPlugin({ tiles: parseTileSpec(dir), datum: 'gcj02' }));
    expect((await app.inject('/config.json')).json()).toEqual({ url: 'tiles/{z}/{x}/{y}', datum: 'gcj02' });
    const tile = await app.inject('/tiles/14/13647/6763.png');
    expect(tile.statusCode).toBe(200);
    expect(tile.headers['content-type']).toBe('image/png');
    expect(tile.rawPayload.equals(PNG)).toBe(true);
    expect((await app.inject('/tiles/14/13647/6764')).statusCode).toBe(404);
    expect((await app.inject('/tiles/x/1/2')).statusCode).toBe(404);

    const initSqlJs = createRequire(import.meta.url)('sql.js') as () => Promise<{ Database: new () => { run(sql: string, p?: unknown[]): void; export(): Uint8Array; close(): void } }>;
    const SQL = await initSqlJs();
    const db = new SQL.Database();
    db.run('CREATE TABLE metadata (name TEXT, value TEXT)');
    db.run("INSERT INTO metadata VALUES ('format', 'png')");
    db.run('CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)');
    db.run('INSERT INTO tiles VALUES (?, ?, ?, ?)', [14, 13647, 2 ** 14 - 1 - 6763, PNG]);
    const file = join(tmp(), 'district.mbtiles');
    writeFileSync(file, db.export());
    db.close();
    const { app: app2 } = await api();
    await app2.register(webMapPlugin({ tiles: parseTileSpec(file) }));
    const t2 = await app2.inject('/tiles/14/13647/6763');
    expect(t2.statusCode).toBe(200);
    expect(t2.headers['content-type']).toBe('image/png');
    expect(t2.rawPayload.equals(PNG)).toBe(true);
    expect((await app2.inject('/tiles/14/13647/6762')).statusCode).toBe(404);
  });

  it('reads --tiles as a URL template, a folder or an .mbtiles file, and refuses anything else', () => {
    expect(parseTileSpec(undefined)).toEqual({ kind: 'none' });
    expect(parseTileSpec('https://tiles.example/{z}/{x}/{y}.png')).toEqual({ kind: 'url', template: 'https://tiles.example/{z}/{x}/{y}.png' });
    expect(() => parseTileSpec('/nonexistent/tiles')).toThrow(/neither a URL template nor an existing/);
    const f = join(tmp(), 'x.png');
    writeFileSync(f, PNG);
    expect(() => parseTileSpec(f)).toThrow(/not \.mbtiles/);
  });
});

describe('ringwatch web (standalone proxy)', () => {
  let web: WebServer;

  it('proxies the API with its cookie and streams /api/live through unbuffered', async () => {
    const { app, hub } = await api();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const apiPort = (app.server.address() as { port: number }).port;
    web = await startWebServer({ controlUrl: `http://127.0.0.1:${apiPort}`, port: 0 });
    closers.push(() => web.close());
    const login = await fetch(`${web.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'operator', password: demoSite().secrets.users!['operator'] }) });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    expect(cookie).toMatch(/^rw_session=/);
    expect((await fetch(`${web.url}/api/me`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${web.url}/`)).status).toBe(200);

    const got = await firstSseEvent(`${web.url}/api/live`, {
      headers: { cookie },
      event: 'batch',
      // Published only once the stream is open: it must arrive while the response is still open.
      onOpen: () => setTimeout(() => hub.publish({ type: 'ledger', data: { id: 'c1', state: 'acked' } as unknown as LedgerRecord }), 50),
    });
    expect(got.contentType).toBe('text/event-stream');
    expect(got.text).toContain('"id":"c1"');
  });

  it('answers API calls with a gateway error when the control service is down', async () => {
    web = await startWebServer({ controlUrl: 'http://127.0.0.1:9', port: 0 });
    closers.push(() => web.close());
    const r = await fetch(`${web.url}/api/me`);
    expect(r.status).toBe(502);
    expect(await r.json()).toMatchObject({ code: 'WEB_ERR_UPSTREAM', message: expect.stringMatching(/control service unreachable/) });
    expect((await fetch(`${web.url}/`)).status).toBe(200);
  });
});
