import { describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import type { Page } from 'playwright-core';
import { wgs84ToGcj02 } from '../../web-map/client/gcj02.ts';
import { startWebServer, type WebServer } from '../../web-map/server/standalone.ts';
import type { WebStack } from '../helpers/stack.ts';
import { eventually } from '../helpers/control-stack.ts';
import { loginAs, screenshot, type TestBrowser } from '../helpers/browser.ts';
import { useConsolePage } from '../helpers/console-page.ts';

// One stack and one browser for the file; pages are reused, cookies cleared between roles.
let stack: WebStack;
let browser: TestBrowser;
let page: Page;
const UI_MS = 10_000;
const metres = (a: { latDeg: number; lonDeg: number }, b: { latDeg: number; lonDeg: number }) =>
  Math.hypot((a.latDeg - b.latDeg) * 111_320, (a.lonDeg - b.lonDeg) * 111_320 * Math.cos((a.latDeg * Math.PI) / 180));

useConsolePage({ stack: { speed: 10, sensors: 'none' }, uiMs: UI_MS }, (c) => ({ stack, browser, page } = c));

async function as(username: string): Promise<void> {
  await browser.context.clearCookies();
  await js('localStorage.clear()').catch(() => undefined);
  await loginAs(page, stack.webUrl, username);
}

/** Browser-side expressions as strings: the test program has no DOM types. */
const js = <T>(expr: string) => page.evaluate(expr) as Promise<T>;
const position = (id: string) => js<{ latDeg: number; lonDeg: number; altRelM: number } | undefined>(`window.__rw?.drone(${JSON.stringify(id)})?.telemetry`);
const screenOf = (id: string) => js<{ x: number; y: number } | undefined>(`window.__rw.screenOf(${JSON.stringify(id)})`);
const frames = () => js<number>('window.__rw.frames()');

describe('web console in Chromium against the running stack', () => {
  it('an operator signs in, sees every drone live, takes one off and sends it to a clicked point', async () => {
    await as('operator');
    expect(await page.getByTestId('whoami').getAttribute('data-role')).toBe('operator');
    await expect.poll(() => page.getByTestId('drone-count').textContent(), { timeout: UI_MS }).toBe('8 drones · 8 online');
    await expect.poll(() => page.getByTestId('conn').getAttribute('data-state'), { timeout: UI_MS }).toBe('ok');
    // The rings are drawn with their names and targets.
    await expect.poll(() => page.locator('[data-ring="containment"]').textContent()).toBe('Containment ring · response 60 s');

    await page.getByTestId('drone-list').selectOption('drone-1');
    await page.getByTestId('cmd-alt').fill('30');
    await page.getByTestId('cmd-takeoff').click();
    // Three ledger records (mode, arm, takeoff), each "done" only when the drone confirmed.
    await expect.poll(() => page.locator('[data-testid="ledger-item"][data-kind="takeoff"]').getAttribute('data-state'), { timeout: 20_000 }).toBe('succeeded');
    expect(await page.locator('[data-testid="ledger-item"][data-kind="arm"]').getAttribute('data-state')).toBe('succeeded');
    await eventually('drone-1 climbing on the map', async () => ((await position('drone-1'))?.altRelM ?? 0) > 5, 30_000);

    // The console opens on the whole control ring; zoom in so a click lands a few hundred metres off.
    await page.locator('.leaflet-control-zoom-in').click();
    await page.locator('.leaflet-control-zoom-in').click();
    await page.waitForTimeout(400); // zoom animation
    const before = (await position('drone-1'))!;
    const start = (await screenOf('drone-1'))!;
    await page.getByTestId('cmd-goto').click();
    await page.getByTestId('pick-hint').waitFor();
    await page.mouse.click(start.x + 120, start.y - 80);
    await expect.poll(() => page.locator('[data-testid="ledger-item"][data-kind="goto"]').getAttribute('data-state'), { timeout: 15_000 }).toBe('succeeded');
    await eventually('drone-1 moving east on the map', async () => ((await position('drone-1'))?.lonDeg ?? 0) > before.lonDeg + 0.0005, 20_000);
    // Selecting by clicking the glyph on the canvas.
    await page.getByTestId('drone-list').selectOption('drone-2');
    const p = (await screenOf('drone-1'))!;
    await page.mouse.click(p.x, p.y);
    await expect.poll(() => page.getByTestId('drone-details').textContent()).toContain('drone-1');
    await screenshot(page, 'operator-drone-flying');
  }, 90_000);

  it('shows a refused command with the drone\'s reason, never as done', async () => {
    // A failing cell: drone-4's autopilot refuses to arm below its arming capacity.
    stack.fleet.drones.get('drone-4')!.injectFault({ kind: 'battery_sag', pct: 85 });
    await page.getByTestId('drone-list').selectOption('drone-4');
    await page.getByTestId('cmd-takeoff').click();
    const arm = page.locator('[data-testid="ledger-item"][data-kind="arm"]');
    await expect.poll(() => arm.getAttribute('data-state'), { timeout: 15_000 }).toBe('failed');
    const record = stack.control.ledger.list({ targetId: 'drone-4' }).find((r) => r.kind === 'arm')!;
    const detail = [...record.transitions].reverse().find((x) => x.detail)?.detail;
    // ArduPilot says "PreArm: …" for pre-arm checks and "Arm: …" for the checks at arming.
    expect(detail).toMatch(/(PreArm|Arm): /);
    expect(await arm.getByTestId('ledger-reason').textContent()).toBe(`Reason: ${detail}`);
    // The sequence stopped at the refusal: no take-off was sent.
    expect(await page.locator('[data-testid="ledger-item"][data-kind="takeoff"]').count()).toBe(0);
    await screenshot(page, 'operator-command-refused');
  });

  it('marks a drone whose link is lost', async () => {
    stack.fleet.drones.get('drone-6')!.injectFault({ kind: 'link_loss', durationS: 600 });
    await page.getByTestId('drone-list').selectOption('drone-6');
    await expect.poll(() => page.getByTestId('drone-details').locator('td.bad').first().textContent(), { timeout: 20_000 }).toBe('LOST');
    expect(await page.locator('[data-testid="drone-list"] option[value="drone-6"]').textContent()).toMatch(/LOST$/);
    await expect.poll(() => page.getByTestId('drone-count').textContent()).toBe('8 drones · 7 online');
    stack.fleet.drones.get('drone-6')!.clearFaults();
    await expect.poll(() => page.getByTestId('drone-count').textContent(), { timeout: 20_000 }).toBe('8 drones · 8 online');
  });

  it('operators preview, start and stop ring patrols and dispatch to a clicked point', async () => {
    await page.getByTestId('tab-ops').click();
    await page.getByTestId('patrol-preview').click();
    await page.getByTestId('plan-containment').waitFor();
    for (const r of ['prevention', 'control']) await page.getByTestId(`patrol-ring-${r}`).uncheck();
    await page.getByTestId('patrol-start').click();
    await expect.poll(() => page.getByTestId('patrol-state').getAttribute('data-running')).toBe('containment');
    expect(stack.ops.patrols.state().find((r) => r.ringId === 'containment')!.active).toBe(true);

    await page.getByTestId('dispatch-pick').click();
    const box = (await page.getByTestId('map').boundingBox())!;
    await page.mouse.click(box.x + box.width / 2 + 60, box.y + box.height / 2 + 40);
    await page.getByTestId('alarm-item').first().waitFor().catch(async (err) => {
      throw new Error(`${(err as Error).message}; toasts: ${await page.getByTestId('toasts').textContent()}`);
    });
    const alarm = await eventually('a manual alarm with a responder', () => [...stack.ops.alarms.list()].find((a) => a.source.kind === 'manual' && a.responder));
    expect(alarm.responder!.droneId).toMatch(/^drone-/);
    await screenshot(page, 'operator-patrol-dispatch');
    // Drones may raise alarms of their own meanwhile (battery, link): act on this one.
    const item = page.locator(`[data-testid="alarm-item"][data-id="${alarm.id}"]`);
    await item.getByTestId('alarm-ack').click();
    await expect.poll(() => item.getAttribute('data-state'), { timeout: UI_MS }).toBe('acknowledged');
    await item.getByTestId('alarm-resolve').click();
    await page.getByTestId('confirm-ok').click();
    await expect.poll(() => item.count(), { timeout: UI_MS }).toBe(0);
    await page.getByTestId('patrol-stop').click();
    await page.getByTestId('confirm-ok').click();
    await expect.poll(() => page.getByTestId('patrol-state').getAttribute('data-running')).toBe('');
  });

  it('keeps chief controls from operators, and the server refuses them anyway', async () => {
    await page.getByTestId('tab-broadcast').click();
    await page.getByTestId('broadcast-forbidden').waitFor();
    expect(await page.getByTestId('bc-send').count()).toBe(0);
    const status = await page.evaluate(async () => {
      const r = await fetch('/api/broadcasts', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ target: { kind: 'rings', ringIds: ['containment'] }, source: { kind: 'tts', text: 'x', lang: 'en' }, volumePct: 50, loop: false, priority: 5 }) });
      return r.status;
    });
    expect(status).toBe(403);

    await as('engineer');
    expect(await page.getByTestId('whoami').getAttribute('data-role')).toBe('engineer');
    // The engineer's own console, without the operator's controls (issue 16 item 8).
    expect(await page.getByTestId('tab-engineer').getAttribute('class')).toBe('active');
    expect(await page.getByTestId('tab-ops').count()).toBe(0);
    await page.getByTestId('tab-drones').click();
    expect(await page.getByTestId('cmd-takeoff').count()).toBe(0);
    const refused = await page.evaluate(async () => (await fetch('/api/patrols/start', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status);
    expect(refused).toBe(403);
  });

  it('a station chief broadcasts to a ring and watches per-speaker delivery', async () => {
    await as('chief');
    await page.getByTestId('tab-broadcast').click();
    await page.getByTestId('bc-source-text').check();
    await page.getByTestId('bc-text').fill('Please keep clear of the station gate.');
    await page.getByTestId('bc-lang').selectOption('en');
    await page.getByTestId('bc-send').click();
    expect(await page.getByTestId('confirm-text').textContent()).toMatch(/^Broadcast to \d+ speakers \(Containment ring\)\?$/);
    await page.getByTestId('confirm-ok').click();
    await page.getByTestId('bc-speaker').first().waitFor();
    const speakers = await page.getByTestId('bc-speaker').count();
    expect(speakers).toBeGreaterThan(0);
    // Every targeted speaker reports back (accepted → playing → finished) on the live stream.
    await expect.poll(() => page.locator('[data-testid="bc-speaker"][data-state="finished"]').count(), { timeout: 20_000 }).toBe(speakers);
    expect(await page.getByTestId('bc-summary').getAttribute('data-done')).toBe('true');
    await screenshot(page, 'chief-broadcast');
    await page.getByTestId('bc-stop').click();

    // Targets by a radius drawn on the map: centre clicked on the core, 300 m.
    const sent = stack.ops.broadcasts!.list().length;
    await page.getByTestId('bc-mode-radius').check();
    const box = (await page.getByTestId('map').boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await page.getByTestId('bc-radius').fill('400');
    await page.getByTestId('bc-send').click();
    await page.getByTestId('confirm-ok').click();
    await expect.poll(() => stack.ops.broadcasts!.list().length, { timeout: UI_MS }).toBe(sent + 1);
    const req = stack.ops.broadcasts!.list().map((b) => b.request as { target: { kind: string; radiusM?: number } }).find((r) => r.target.kind === 'radius');
    expect(req?.target.radiusM).toBe(400);
    await expect.poll(() => page.locator('[data-testid="bc-speaker"][data-state="finished"]').count(), { timeout: 20_000 }).toBeGreaterThan(0);

    // The warning library: add an approved warning, see it offered, retire it.
    await page.getByTestId('lib-id').fill('warn-fireworks-zh');
    await page.getByTestId('lib-title').fill('禁放烟花');
    await page.getByTestId('lib-text').fill('此区域禁止燃放烟花爆竹，请立即停止。');
    await page.getByTestId('lib-save').click();
    const item = page.locator('[data-testid="lib-item"][data-id="warn-fireworks-zh"]');
    await item.waitFor();
    expect(await page.locator('[data-testid="bc-warning"] option[value="warn-fireworks-zh"]').count()).toBe(1);
    expect((await js<{ id: string }[]>('fetch("/api/warnings").then((r) => r.json())')).some((w) => w.id === 'warn-fireworks-zh')).toBe(true);
    await item.getByTestId('lib-delete').click();
    expect(await page.getByTestId('confirm-text').textContent()).toBe('Delete the warning “禁放烟花” from the library?');
    await page.getByTestId('confirm-ok').click();
    await expect.poll(() => item.count()).toBe(0);
  });

  it('switches between English and Chinese, and remembers the choice', async () => {
    await page.getByTestId('lang-switch').click();
    expect(await page.getByTestId('tab-drones').textContent()).toBe('无人机');
    expect(await js<string>('document.documentElement.lang')).toBe('zh-CN');
    expect(await page.locator('[data-ring="containment"]').textContent()).toContain('响应 60 秒');
    await page.reload();
    await page.getByTestId('whoami').waitFor();
    expect(await page.getByTestId('tab-ops').textContent()).toBe('巡逻与警情');
    await screenshot(page, 'chief-zh');
    await page.getByTestId('lang-switch').click();
    expect(await page.getByTestId('tab-drones').textContent()).toBe('Drones');
  });

  it('draws the site with no basemap reachable, without hanging, and says so', async () => {
    // A tile server that accepts connections and never answers: the worst case for a map.
    const sockets = new Set<Socket>();
    const blackhole: Server = createServer((s) => void sockets.add(s));
    await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', r));
    const port = (blackhole.address() as { port: number }).port;
    let web: WebServer | undefined;
    try {
      web = await startWebServer({ controlUrl: stack.apiUrl, port: 0, tiles: { kind: 'url', template: `http://127.0.0.1:${port}/{z}/{x}/{y}.png` } });
      const t0 = Date.now();
      await loginAs(page, web.url, 'operator');
      await expect.poll(() => page.locator('[data-ring="containment"]').count()).toBe(1);
      await expect.poll(() => screenOf('drone-1').then((p) => p !== undefined)).toBe(true);
      await page.getByTestId('banner-tiles').waitFor({ timeout: 8_000 });
      expect(Date.now() - t0).toBeLessThan(15_000);
      // Still interactive: zoom, and frames keep coming.
      const framesBefore = await frames();
      await page.locator('.leaflet-control-zoom-in').click();
      await expect.poll(() => frames()).toBeGreaterThan(framesBefore);
      await screenshot(page, 'offline-basemap');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => blackhole.close(() => r()));
      await web?.close();
    }
  });

  it('draws over a GCJ-02 basemap shifted, and turns clicks back into WGS-84', async () => {
    const web = await startWebServer({ controlUrl: stack.apiUrl, port: 0, datum: 'gcj02' });
    try {
      await loginAs(page, web.url, 'operator');
      await expect.poll(() => screenOf('drone-1').then((p) => p !== undefined)).toBe(true);
      const wgs = (await position('drone-1'))!;
      const p = (await screenOf('drone-1'))!;
      // Drawn where a GCJ-02 basemap has it: the map coordinate under the glyph is the
      // converted position, about 500 m from the raw WGS-84 one here.
      const drawnAt = await js<{ latDeg: number; lonDeg: number }>(`window.__rw.mapLatLngAt(${p.x}, ${p.y})`);
      const gcj = wgs84ToGcj02(wgs.latDeg, wgs.lonDeg);
      expect(metres(drawnAt, gcj)).toBeLessThan(15);
      expect(metres(drawnAt, wgs)).toBeGreaterThan(300);
      await page.getByTestId('drone-list').selectOption('drone-1');
      await page.getByTestId('cmd-goto').click();
      // What the console sends is the point: the server may refuse a go-to for a drone on
      // the ground, which says nothing about the datum.
      const sent = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/api/drones/drone-1/commands'));
      await page.mouse.click(p.x, p.y);
      const target = (await sent).postDataJSON() as { action: string; latDeg: number; lonDeg: number };
      expect(target.action).toBe('goto');
      const errM = metres(target, wgs);
      // A click on the drone's glyph names the drone's own WGS-84 position (pixel rounding,
      // GPS noise and drift only), not a point offset by the datum shift (~500 m).
      expect(errM).toBeLessThan(40);
    } finally {
      await web.close();
    }
  });

  it('tells the user when the server is unreachable', async () => {
    const web = await startWebServer({ controlUrl: stack.apiUrl, port: 0 });
    await loginAs(page, web.url, 'operator');
    await expect.poll(() => page.getByTestId('conn').getAttribute('data-state')).toBe('ok');
    await web.close();
    await page.getByTestId('banner-server').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('conn').getAttribute('data-state')).toBe('down');
    await screenshot(page, 'server-unreachable');
  });
});
