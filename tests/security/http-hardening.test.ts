import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Operations } from '../../control/ops/operations.ts';
import { FAST_HTTP_TIMEOUTS } from '../../control/api/http-options.ts';
import { startWebServer } from '../../web-map/server/standalone.ts';
import { loginToken, rawRequest, startApiServer, type ApiServer } from './http-fixture.ts';

// Issue 12, item 8: no request or header timeouts (20k slow bodies made HTTP unavailable
// for 75 s), no security headers, coerced body types ("30.27" dispatched a drone),
// 500s without a request id.

let server: ApiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('request bodies are validated without type coercion', () => {
  it('refuses a string or an array where a number is declared, naming the field', async () => {
    server = await startApiServer();
    const token = await loginToken(server.port, 'operator');
    const auth = { authorization: `Bearer ${token}` };
    for (const body of [{ latDeg: '30.27', lonDeg: 120.06 }, { latDeg: 30.27, lonDeg: [120.06] }, { latDeg: 30.27, lonDeg: 120.06, playWarning: 'false' }]) {
      const r = await rawRequest(server.port, { method: 'POST', path: '/api/dispatch', headers: auth, body: JSON.stringify(body) });
      expect(r.status, `${JSON.stringify(body)} → ${r.body}`).toBe(400);
      expect(JSON.parse(r.body)).toMatchObject({ code: 'API_ERR_VALIDATION' });
      expect(JSON.parse(r.body).message).toMatch(/latDeg|lonDeg|playWarning/);
    }
    // Query strings are text by nature and still coerced: ?limit=5 is a number.
    const q = await rawRequest(server.port, { path: '/api/audit?limit=5', headers: auth });
    expect(q.status).toBe(200);
  });
});

describe('security headers', () => {
  it('sends a CSP that forbids framing, plus nosniff and a referrer policy, on API and console answers', async () => {
    server = await startApiServer();
    for (const path of ['/api/openapi.json', '/api/me']) {
      const r = await rawRequest(server.port, { path });
      const csp = String(r.headers['content-security-policy'] ?? '');
      expect(csp, path).toMatch(/frame-ancestors 'none'/);
      expect(csp).toMatch(/default-src 'self'/);
      expect(csp).toMatch(/script-src 'self'(;|$)/);
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['x-frame-options']).toBe('DENY');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
      // No HSTS on plain HTTP: it would pin a LAN console to an https it does not serve.
      expect(r.headers['strict-transport-security']).toBeUndefined();
    }
  });
});

describe('security headers on the standalone console (ringwatch web)', () => {
  it('forbids framing the console it serves', async () => {
    server = await startApiServer();
    const web = await startWebServer({ controlUrl: server.url, port: 0 });
    try {
      const r = await rawRequest(web.port, { path: '/' });
      expect(r.status).toBe(200);
      expect(String(r.headers['content-security-policy'])).toMatch(/frame-ancestors 'none'/);
      expect(r.headers['x-frame-options']).toBe('DENY');
    } finally {
      await web.close();
    }
  });
});

describe('500s', () => {
  it('are logged with the request id, which the answer carries and nothing else', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(...chunk.toString().trim().split('\n'));
        cb();
      },
    });
    // An operations object missing its presence tracker makes /api/devices throw a TypeError.
    server = await startApiServer({ http: { logger: pino({ level: 'info' }, sink) }, deps: { ops: {} as Operations } });
    const token = await loginToken(server.port, 'engineer');
    const r = await rawRequest(server.port, { path: '/api/devices', headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(500);
    const body = JSON.parse(r.body) as { requestId?: string; message: string };
    expect(body.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.message).not.toMatch(/TypeError|presence/);
    const logged = lines.map((l) => JSON.parse(l) as { level: number; reqId?: string; err?: { stack?: string } }).filter((l) => l.level >= 50);
    expect(logged.some((l) => l.reqId === body.requestId && /TypeError/.test(l.err?.stack ?? ''))).toBe(true);
  });
});

/** A client that sends the headers of a large POST and then trickles its body, a byte at a time. */
function slowBody(port: number, localAddress: string): { socket: Socket; closed: Promise<number>; stop(): void } {
  const startedMs = Date.now();
  const socket = connect({ host: '127.0.0.1', port, localAddress });
  socket.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  socket.on('connect', () => {
    socket.write('POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{');
    timer = setInterval(() => socket.writable && socket.write(' '), 200);
  });
  const closed = new Promise<number>((resolve) =>
    socket.once('close', () => {
      clearInterval(timer);
      resolve(Date.now() - startedMs);
    }),
  );
  return { socket, closed, stop: () => { clearInterval(timer); socket.destroy(); } };
}

/** A client that never finishes its headers (slowloris). */
function slowHeaders(port: number, localAddress: string): { closed: Promise<number>; stop(): void } {
  const startedMs = Date.now();
  const socket = connect({ host: '127.0.0.1', port, localAddress });
  socket.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  socket.on('connect', () => {
    socket.write('GET /api/me HTTP/1.1\r\nHost: x\r\n');
    timer = setInterval(() => socket.writable && socket.write('X-a: b\r\n'), 200);
  });
  const closed = new Promise<number>((resolve) =>
    socket.once('close', () => {
      clearInterval(timer);
      resolve(Date.now() - startedMs);
    }),
  );
  return { closed, stop: () => { clearInterval(timer); socket.destroy(); } };
}

describe('slow clients cannot make HTTP unavailable', () => {
  it('caps connections per source, closes slow bodies and slow headers at their timeouts, and keeps answering others', async () => {
    server = await startApiServer({ http: { timeouts: FAST_HTTP_TIMEOUTS, maxConnectionsPerSource: 40 } });
    const port = server.port;
    // 120 slow clients from one address: 40 are admitted, the rest are cut at once.
    // (FAST timeouts: headers 1 s, whole request 2 s.)
    const bodies = Array.from({ length: 80 }, () => slowBody(port, '127.0.0.1'));
    const headers = Array.from({ length: 40 }, () => slowHeaders(port, '127.0.0.1'));
    try {
      // The 80 over the per-source cap are closed on accept, long before any timeout.
      const early = await Promise.all([...bodies, ...headers].map((c) => Promise.race([c.closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 800))])));
      expect(early.filter(Boolean).length).toBeGreaterThanOrEqual(80);
      // Another station on the LAN is answered while they hang.
      const other = await rawRequest(port, { path: '/api/openapi.json', localAddress: '127.0.0.2', timeoutMs: 5_000 });
      expect(other.status).toBe(200);
      // The server closes every one of them within the timeouts (2 s body, 1 s headers)
      // plus the check interval; 15 s is room for a busy machine, not for "never".
      const limitMs = 15_000;
      const all = await Promise.all([...bodies, ...headers].map((c) => Promise.race([c.closed, new Promise<number>((r) => setTimeout(() => r(Infinity), limitMs))])));
      const open = all.filter((ms) => ms === Infinity).length;
      expect(open, 'slow connections still open after 15 s').toBe(0);
      // And the same source is served again once its slow connections are gone.
      const again = await rawRequest(port, { path: '/api/openapi.json', localAddress: '127.0.0.1', timeoutMs: 5_000 });
      expect(again.status).toBe(200);
    } finally {
      for (const c of [...bodies, ...headers]) c.stop();
    }
  }, 60_000);
});

describe('a full API makes room for a newcomer instead of locking it out', () => {
  it('closes the oldest connection still without a request head, so a fresh client is answered at once', async () => {
    // Timeouts far beyond the test: only admission can let the newcomer in.
    server = await startApiServer({ http: { maxConnections: 20, maxConnectionsPerSource: 40 } });
    const port = server.port;
    const holders = Array.from({ length: 20 }, () => slowHeaders(port, '127.0.0.3'));
    try {
      await new Promise((r) => setTimeout(r, 300));
      const fresh = await rawRequest(port, { path: '/api/openapi.json', localAddress: '127.0.0.2', timeoutMs: 5_000 });
      expect(fresh.status).toBe(200);
      // Exactly the room it needed was made: one holder closed, the other 19 still held.
      const closed = await Promise.all(holders.map((h) => Promise.race([h.closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 300))])));
      expect(closed.filter(Boolean).length).toBe(1);
    } finally {
      for (const h of holders) h.stop();
    }
  }, 30_000);
});
