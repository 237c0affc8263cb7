import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSystem, type RunningSystem } from '../../system/start-system.ts';
import { findFreePort } from '../../util/free-port.ts';
import { demoSystemOptions } from './drill-helpers.ts';

/**
 * Ctrl-C while an operator's console is open: its live event stream (SSE) never ends by
 * itself, and the HTTP server's close used to wait on it until the stack's 30 s backstop
 * (and the process then lingered). The stack must stop promptly with consoles open.
 */
describe('drill: stopping with a console connected', () => {
  let dir: string | undefined;
  let sys: RunningSystem | undefined;
  afterAll(async () => {
    await sys?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('closes the API within 10 s with an open /api/live stream', { timeout: 90_000 }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'rw-drill-close-'));
    // No InfluxDB: this drill is about the HTTP side.
    sys = await startSystem(demoSystemOptions(dir, `http://127.0.0.1:${await findFreePort()}`));
    const login = await fetch(`${sys.mapUrl}api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'operator', password: 'operator-demo' }) });
    const { token } = (await login.json()) as { token: string };
    const live = await fetch(`${sys.mapUrl}api/live`, { headers: { authorization: `Bearer ${token}` } });
    expect(live.status).toBe(200);
    const reader = live.body!.getReader();
    await reader.read(); // the stream is open: `retry: 2000`
    const ended = (async () => {
      for (;;) if ((await reader.read().catch(() => ({ done: true }))).done) return true;
    })();
    const t0 = performance.now();
    const s = sys;
    sys = undefined;
    await s.close();
    const tookMs = performance.now() - t0;
    expect(tookMs).toBeLessThan(10_000);
    expect(await ended).toBe(true);
  });
});
