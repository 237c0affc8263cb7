import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LOGIN_THROTTLE, LoginThrottle } from '../../control/auth/login-throttle.ts';
import { startWebServer } from '../../web-map/server/standalone.ts';
import { demo, rawRequest, startApiServer, type ApiServer } from './http-fixture.ts';

// Issue 12, item 6: 60 parallel wrong guesses were all checked (the failure count was
// read before the scrypt await and written after), and anyone could lock the chief out.

let server: ApiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const attempt = (port: number, username: string, password: string, localAddress: string) =>
  rawRequest(port, { method: 'POST', path: '/api/login', body: JSON.stringify({ username, password }), localAddress, timeoutMs: 60_000 });

describe('login throttle over HTTP', () => {
  it('checks at most the allowed number of 60 parallel wrong guesses; the rest are refused unchecked', async () => {
    server = await startApiServer({ sessions: { maxFailures: 5 } });
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => attempt(server!.port, 'chief', `guess-${i}`, '127.0.0.3')));
    const checked = answers.filter((a) => a.status === 401).length;
    const refused = answers.filter((a) => a.status === 429);
    expect(checked).toBeLessThanOrEqual(5);
    expect(checked + refused.length).toBe(60);
    expect(Number(refused[0]!.headers['retry-after'])).toBeGreaterThan(0);
  }, 60_000);

  it('a stranger hammering the chief does not lock the chief out of their own desk', async () => {
    server = await startApiServer({ sessions: { maxFailures: 5 } });
    for (let i = 0; i < 30; i++) await attempt(server.port, 'chief', `guess-${i}`, '127.0.0.2');
    const stranger = await attempt(server.port, 'chief', demo.secrets.users!['chief']!, '127.0.0.2');
    expect(stranger.status).toBe(429);
    const chief = await attempt(server.port, 'chief', demo.secrets.users!['chief']!, '127.0.0.1');
    expect(chief.status, chief.body).toBe(200);
  }, 60_000);
});

describe('login throttle behind the console proxy', () => {
  it('ignores X-Forwarded-For from anyone not named as a proxy: a header cannot buy fresh source addresses', async () => {
    server = await startApiServer({ sessions: { maxFailures: 5 } });
    const answers: number[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await rawRequest(server.port, { method: 'POST', path: '/api/login', body: JSON.stringify({ username: 'chief', password: `g${i}` }), headers: { 'x-forwarded-for': `198.51.100.${i}` }, localAddress: '127.0.0.4' });
      answers.push(r.status);
    }
    expect(answers.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
  }, 60_000);

  it('with --trust-proxy, clients behind the proxy are throttled one by one', async () => {
    server = await startApiServer({ sessions: { maxFailures: 5 }, http: { trustProxy: ['127.0.0.5'] } });
    const via = (xff: string, password: string) =>
      rawRequest(server!.port, { method: 'POST', path: '/api/login', body: JSON.stringify({ username: 'chief', password }), headers: { 'x-forwarded-for': xff }, localAddress: '127.0.0.5' });
    for (let i = 0; i < 20; i++) await via('192.0.2.66', `g${i}`);
    expect((await via('192.0.2.66', demo.secrets.users!['chief']!)).status).toBe(429);
    // The chief, behind the same proxy at another desk, gets in.
    expect((await via('192.0.2.10', demo.secrets.users!['chief']!)).status).toBe(200);
  }, 60_000);
});

describe('login throttle through ringwatch web', () => {
  it('the console proxy names each client, so a stranger behind it does not lock the chief out', async () => {
    server = await startApiServer({ sessions: { maxFailures: 5 }, http: { trustProxy: ['127.0.0.1'] } });
    const web = await startWebServer({ controlUrl: server.url, port: 0 });
    try {
      const via = (from: string, password: string) =>
        rawRequest(web.port, { method: 'POST', path: '/api/login', body: JSON.stringify({ username: 'chief', password }), localAddress: from });
      for (let i = 0; i < 20; i++) await via('127.0.0.7', `g${i}`);
      expect((await via('127.0.0.7', demo.secrets.users!['chief']!)).status).toBe(429);
      expect((await via('127.0.0.8', demo.secrets.users!['chief']!)).status).toBe(200);
    } finally {
      await web.close();
    }
  }, 60_000);
});

describe('LoginThrottle (pure, injected clock)', () => {
  const o = { ...DEFAULT_LOGIN_THROTTLE, windowMs: 600_000, maxFailuresPerUserSource: 5, freeFailuresPerSource: 3, baseDelayMs: 1_000, maxDelayMs: 60_000, maxFailuresPerUser: 10 };

  it('makes one source wait longer after each failure past the free ones, whatever the username', () => {
    const t = new LoginThrottle(o);
    let now = 1_000_000;
    const waits: number[] = [];
    for (let i = 0; i < 11; i++) {
      const d = t.begin(`user${i}`, '10.0.0.9', now);
      if (!d.allow) {
        waits.push(d.retryAfterMs);
        now += d.retryAfterMs;
        i--;
        continue;
      }
      d.attempt.failed();
    }
    // 3 free, then 1 s, 2 s, 4 s … capped at 60 s.
    expect(waits).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000]);
  });

  it('locks a username spread over many untrusted sources, but not from a trusted or known-good source', () => {
    const t = new LoginThrottle({ ...o, trustedSources: ['10.0.0.1'] });
    const now = 5_000_000;
    // The chief logged in from 10.0.0.7 before: a known-good source.
    const ok = t.begin('chief', '10.0.0.7', now);
    expect(ok.allow).toBe(true);
    if (ok.allow) ok.attempt.succeeded();
    for (let s = 0; s < 10; s++) {
      const d = t.begin('chief', `192.0.2.${s}`, now + 1);
      expect(d.allow).toBe(true);
      if (d.allow) d.attempt.failed();
    }
    expect(t.begin('chief', '192.0.2.200', now + 2)).toMatchObject({ allow: false, reason: 'user_locked_untrusted' });
    expect(t.begin('chief', '10.0.0.1', now + 2).allow).toBe(true);
    expect(t.begin('chief', '10.0.0.7', now + 2).allow).toBe(true);
    expect(t.begin('chief', '127.0.0.1', now + 2).allow).toBe(true);
    // Other users are untouched.
    expect(t.begin('operator', '192.0.2.200', now + 2).allow).toBe(true);
  });

  it('a success clears only its own try and source; the window forgets old failures', () => {
    const t = new LoginThrottle(o);
    const now = 9_000_000;
    for (let i = 0; i < 5; i++) {
      const d = t.begin('operator', '10.0.0.5', now + i * 20_000);
      if (d.allow) d.attempt.failed();
    }
    expect(t.begin('operator', '10.0.0.5', now + 200_000)).toMatchObject({ allow: false });
    expect(t.begin('operator', '10.0.0.5', now + 700_000).allow).toBe(true);
  });

  it('tracks a bounded number of keys however many addresses spray it', () => {
    const t = new LoginThrottle({ ...o, maxTracked: 100 });
    for (let i = 0; i < 5_000; i++) {
      const d = t.begin(`u${i}`, `198.51.${i >> 8}.${i & 255}`, 1);
      if (d.allow) d.attempt.failed();
    }
    const sizes = ['pair', 'source', 'user'].map((k) => (t as unknown as Record<string, Map<string, unknown>>)[k]!.size);
    for (const s of sizes) expect(s).toBeLessThanOrEqual(100);
  });
});
