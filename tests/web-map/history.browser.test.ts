import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../control/api/app.ts';
import { AuditLog } from '../../control/api/audit-log.ts';
import { EventHub } from '../../control/live/event-hub.ts';
import { SessionStore } from '../../control/api/sessions.ts';
import { WarningLibrary } from '../../control/ops/warning-library.ts';
import { systemClock } from '../../control/timeouts.ts';
import { deviceTopic } from '../../protocol/index.ts';
import { mapMessage } from '../../telemetry/mapping/index.ts';
import { createStore } from '../../telemetry/store/create.ts';
import type { TelemetryStore } from '../../telemetry/store/types.ts';
import { webMapPlugin } from '../../web-map/server/plugin.ts';
import { demoSite } from '../helpers/broker.ts';
import { loginAs, screenshot, startBrowser, type TestBrowser } from '../helpers/browser.ts';
import { startInflux, type TestInflux } from '../helpers/influx.ts';

// The console's history against a real influxd: trails on load, replay on the slider,
// and the InfluxDB-unavailable state after an outage.
let influx: TestInflux;
let store: TelemetryStore;
let app: FastifyInstance;
let audit: AuditLog;
let hub: EventHub;
let browser: TestBrowser;
let page: Page;
let url: string;
const dataDir = mkdtempSync(join(tmpdir(), 'rw-web-hist-'));
const nowMs = Date.now();
const { site } = demoSite();

beforeAll(async () => {
  [influx, browser] = await Promise.all([startInflux(), startBrowser()]);
  store = createStore({ backend: 'v1', url: influx.url, database: 'ringwatch_web_test' });
  await store.init();
  // drone-1 flew east over the last ten minutes; at minute 5 it reported a low battery.
  const points = [];
  for (let i = 0; i < 20; i++) {
    const t = { tsMs: nowMs - 580_000 + i * 30_000, latDeg: 30.27, lonDeg: 120.06 + i * 0.0005, altAmslM: 52, altRelM: 40, headingDeg: 90, groundSpeedMps: 10, batteryPct: 90 - i, batteryV: 15.8, mode: 'AUTO', armed: true, gpsFix: 3 };
    const m = mapMessage(site.site.id, deviceTopic('drone', 'drone-1', 'telemetry'), Buffer.from(JSON.stringify(t)));
    if (!m.ok) throw new Error(m.message);
    points.push(m.point);
  }
  const ev = { id: 'ev-low-1', tsMs: nowMs - 300_000, type: 'low_battery', severity: 'high', text: 'Battery low' };
  const m = mapMessage(site.site.id, deviceTopic('drone', 'drone-1', 'event'), Buffer.from(JSON.stringify(ev)));
  if (!m.ok) throw new Error(m.message);
  points.push(m.point);
  await store.write(points);

  audit = await AuditLog.open({ dataDir, clock: systemClock });
  hub = new EventHub(50);
  app = await buildApi({ site, clock: systemClock, sessions: new SessionStore(site.users, systemClock), audit, warnings: new WarningLibrary(site.warnings, dataDir), hub, history: store });
  await app.register(webMapPlugin());
  await app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  page = await browser.context.newPage();
  page.setDefaultTimeout(10_000);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  hub?.close();
  await audit?.close();
  await store?.close();
  await influx?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const js = <T>(expr: string) => page.evaluate(expr) as Promise<T>;

describe('history in the console', () => {
  it('draws the last ten minutes as trails and replays positions and events on the slider', async () => {
    await loginAs(page, url, 'operator');
    await expect.poll(() => js<number>("window.__rw.drone('drone-1')?.trail.length ?? 0"), { timeout: 10_000 }).toBe(20);
    expect(await page.getByTestId('banner-influx').count()).toBe(0);

    await page.getByTestId('tab-history').click();
    await page.getByTestId('hist-load').click();
    await expect.poll(() => page.getByTestId('hist-slider').isEnabled()).toBe(true);
    // Window start: nothing has happened yet; window end: the low-battery event is in the list.
    expect(await page.getByTestId('hist-event').count()).toBe(0);
    await page.getByTestId('hist-slider').fill('1000');
    await expect.poll(() => page.getByTestId('hist-events').textContent()).toContain('Heron 1: Low battery [high]');
    await screenshot(page, 'history-replay');
  });

  it('replay is its own mode: live layers hidden, trails for the window, play with speed, event filters', async () => {
    expect(await page.getByTestId('hist-replay-banner').isVisible()).toBe(true);
    expect(await page.getByTestId('drone-canvas').isHidden()).toBe(true);
    expect(await page.getByTestId('map').getAttribute('class')).toContain('replaying');
    // At the window's end the whole flight is one trail.
    expect(await page.locator('path.hist-trail').count()).toBe(1);
    await page.getByTestId('hist-slider').fill('0');
    const startMs = Number(await page.getByTestId('hist-at').getAttribute('data-ms'));
    await page.getByTestId('hist-speed').selectOption('60');
    await page.getByTestId('hist-play').click();
    // 60× : a minute of the past per second of watching.
    await expect.poll(async () => Number(await page.getByTestId('hist-at').getAttribute('data-ms')) - startMs, { timeout: 10_000 }).toBeGreaterThan(60_000);
    await page.getByTestId('hist-play').click();
    expect(await page.getByTestId('hist-play').getAttribute('data-playing')).toBe('false');
    await page.getByTestId('hist-slider').fill('1000');
    await expect.poll(() => page.getByTestId('hist-events').textContent()).toContain('Low battery');
    await page.getByTestId('hist-filter-events').uncheck();
    await expect.poll(() => page.getByTestId('hist-events').textContent()).not.toContain('Low battery');
    await page.getByTestId('hist-filter-events').check();
    // The timeline is events, not HTTP lines.
    expect(await page.getByTestId('hist-events').textContent()).not.toMatch(/(POST|PUT|DELETE) \/api/);
    await page.getByTestId('hist-live').click();
    expect(await page.getByTestId('drone-canvas').isHidden()).toBe(false);
    expect(await page.getByTestId('hist-replay-banner').isHidden()).toBe(true);
  });

  it('who did what is an audit view: user, action, target and result in words', async () => {
    // An operator's refused call and one that fails (no operations on this server) are audited.
    const codes = await page.evaluate(async () => [
      (await fetch('/api/broadcasts', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ target: { kind: 'rings', ringIds: ['containment'] }, source: { kind: 'clip', clipId: 'warn-containment-en' }, volumePct: 50, loop: false, priority: 5 }) })).status,
      (await fetch('/api/drones/drone-1/commands', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action: 'rtl' }) })).status,
    ]);
    expect(codes[0]).toBe(403);
    await page.getByTestId('hist-mode-audit').click();
    const row = (action: string) => page.locator('[data-testid="audit-row"]', { has: page.locator(`[data-testid="audit-action"]:text-is("${action}")`) }).first();
    await row('Sent a broadcast').waitFor();
    expect(await row('Sent a broadcast').getAttribute('data-outcome')).toBe('refused');
    expect(await row('Sent a broadcast').textContent()).toContain('operator');
    expect(await row('Drone command: Return home').getByTestId('audit-target').textContent()).toBe('Heron 1');
    expect(await page.getByTestId('audit-view').textContent()).not.toMatch(/(POST|PUT|DELETE) \/api/);
    await screenshot(page, 'history-audit');
    await page.getByTestId('hist-mode-replay').click();
  });

  it('says InfluxDB is unavailable when it is down, and the rest of the console still works', async () => {
    await influx.stop();
    await page.reload();
    await page.getByTestId('banner-influx').waitFor({ timeout: 15_000 });
    expect(await page.locator('[data-ring="containment"]').count()).toBe(1);
    await page.getByTestId('tab-history').click();
    await page.getByTestId('hist-load').click();
    await expect.poll(() => page.getByTestId('hist-unavailable').textContent(), { timeout: 15_000 }).toMatch(/History is not available: .*InfluxDB/);
    await screenshot(page, 'history-influx-down');
  });
});
