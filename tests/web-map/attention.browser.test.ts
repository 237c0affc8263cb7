import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { WebStack } from '../helpers/stack.ts';
import { eventually } from '../helpers/control-stack.ts';
import { loginAs, screenshot, startBrowser } from '../helpers/browser.ts';
import { useConsolePage, patientPoll } from '../helpers/console-page.ts';

// Issue 16, the parts on today's API: attention, coverage, the alarm queue, guardrails,
// session expiry. One stack and one browser for the file; each test does what a user does.
let stack: WebStack;
let page: Page;
const UI_MS = 15_000;

useConsolePage({ stack: { speed: 10, sensors: 'none' }, browser: { width: 1366, height: 768 }, uiMs: UI_MS }, (c) => ({ stack, page } = c));

const poll = patientPoll(UI_MS);
const js = <T>(expr: string) => page.evaluate(expr) as Promise<T>;
const beeps = () => js<number>('window.__rw.beeps()');

async function as(username: string): Promise<void> {
  await js('localStorage.clear()').catch(() => undefined);
  await loginAs(page, stack.webUrl, username);
  await poll(() => page.getByTestId('drone-count').textContent()).toMatch(/8 online/);
}

/** A colleague's call to the API, as another console would make it. */
async function apiAs<T>(username: string, method: string, path: string, body?: unknown): Promise<T> {
  const token = await stack.login(username);
  const r = await fetch(`${stack.apiUrl}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}
const cp = (i: number) => stack.site.checkpoints[i]!.position;

describe('the console asks for attention, on every tab', () => {
  it('a colleague\'s new alarm raises a badge, the title count, a beep and a critical banner until acknowledged', async () => {
    await as('operator');
    // Once the fleet has reported, the outer rings' promise holds (a steadier picture too).
    await poll(() => page.getByTestId('coverage-control').getAttribute('data-verdict'), 30_000).toBe('ok');
    expect(await page.getByTestId('alerts-badge').count()).toBe(0);
    const before = await beeps();
    await apiAs('operator2', 'POST', '/api/dispatch', { ...cp(0), note: 'Smoke near the gate' });
    // On the Drones tab, where the issue saw nothing.
    await poll(() => page.getByTestId('banner-critical').textContent()).toMatch(/New alarm: Manual dispatch · 0 m from North gate · (Containment|Prevention|Control) ring/);
    expect(await page.getByTestId('alerts-badge').textContent()).toBe('1');
    expect(await page.title()).toMatch(/^\(1\) /);
    expect(await beeps()).toBeGreaterThan(before);
    await page.getByTestId('alerts-toggle').click();
    const item = page.locator('[data-testid="alert-item"][data-kind="alarm"]');
    expect(await item.getAttribute('data-severity')).toBe('critical');
    await screenshot(page, 'operator-alert');
    await page.getByTestId('banner-ack').click();
    await poll(() => page.getByTestId('banner-critical').count()).toBe(0);
    expect(await page.getByTestId('alerts-badge').count()).toBe(0);
    expect(await page.title()).not.toMatch(/^\(/);
    expect(await item.getAttribute('data-acked')).toBe('true');
    await page.getByTestId('alerts-toggle').click();
  }, 60_000);

  it('low battery and a lost link are alerts too; muting is remembered for this user', async () => {
    await page.getByTestId('alerts-mute').click();
    await page.reload();
    await page.getByTestId('whoami').waitFor();
    expect(await page.getByTestId('alerts-mute').getAttribute('data-muted')).toBe('true');
    await page.getByTestId('tab-ops').click(); // alerts show on any tab
    const before = await beeps();
    // A failing cell on the drone flying to the first alarm (a drone on its dock charger
    // would be topped up again within seconds).
    const flying = [...stack.ops.alarms.list()].find((a) => a.responder)!.responder!.droneId;
    const name = stack.site.drones.find((d) => d.id === flying)!.name;
    const pctNow = stack.fleet.drones.get(flying)!.state().batteryPct;
    stack.fleet.drones.get(flying)!.injectFault({ kind: 'battery_sag', pct: Math.max(0, pctNow - 20) });
    await page.getByTestId('alerts-toggle').click();
    // Our rule on the telemetry (≤ 25 % warning, ≤ 15 % critical) or the server's own
    // vehicle alarm for it, whichever came first: one alert, naming the drone.
    const battery = page.locator('[data-testid="alert-item"]').filter({ hasText: new RegExp(`${name}: battery (low|critical), \\d+%|Low battery · ${name}`) });
    await eventually('a battery alert', async () => (await battery.count()) > 0, 30_000).catch(async (err) => {
      throw new Error(`${(err as Error).message}; list: ${await page.getByTestId('alert-list').textContent()}`);
    });
    expect(await battery.count()).toBe(1);
    stack.fleet.drones.get('drone-5')!.injectFault({ kind: 'link_loss', durationS: 600 });
    // Critical: listed, and the banner is up (it shows the newest critical one, with a count of the rest).
    const linkAlert = page.locator('[data-testid="alert-item"]').filter({ hasText: /Kite 1: link lost|Link lost · Kite 1/ });
    await poll(() => linkAlert.count(), 25_000).toBe(1);
    expect(await linkAlert.getAttribute('data-severity')).toBe('critical');
    expect(await page.getByTestId('banner-critical').count()).toBe(1);
    // Muted: listed and shown, but silent.
    expect(await beeps()).toBe(before);
    // Clicking an alert shows the drone.
    await linkAlert.getByTestId('alert-show').click();
    await poll(() => page.getByTestId('drone-details').textContent()).toContain('drone-5');
    await page.getByTestId('alerts-ack-all').click();
    await page.getByTestId('alerts-toggle').click();
    stack.fleet.drones.get('drone-5')!.clearFaults();
    await page.getByTestId('alerts-mute').click();
    expect(await page.getByTestId('alerts-mute').getAttribute('data-muted')).toBe('false');
  }, 90_000);
});

describe('coverage you can read', () => {
  it('shows each ring\'s figures as the API computes them, uncovered checkpoints by name, and warns when a ring is out of reach', async () => {
    if ((await page.getByTestId('whoami').count()) === 0) await as('operator');
    type Cov = { ringId: string; areaPct: number; perimeterPct: number; checkpointsPct: number; checkpointsUncovered: string[] };
    const check = async () => {
      const api = await apiAs<Cov[]>('operator', 'GET', '/api/coverage');
      for (const c of api) {
        const row = page.getByTestId(`coverage-${c.ringId}`);
        expect(await row.getByTestId('cov-area').getAttribute('data-pct')).toBe(c.areaPct.toFixed(1));
        expect(await row.getByTestId('cov-perimeter').getAttribute('data-pct')).toBe(c.perimeterPct.toFixed(1));
        expect(await row.getByTestId('cov-checkpoints').getAttribute('data-pct')).toBe(c.checkpointsPct.toFixed(1));
        const names = c.checkpointsUncovered.map((id) => stack.site.checkpoints.find((x) => x.id === id)!.name);
        if (names.length) expect(await row.getByTestId('cov-uncovered').textContent()).toBe(`Not reachable in time: ${names.join(', ')}`);
        const warn = c.areaPct < 95 || names.length > 0;
        expect(await row.getByTestId('cov-warning').count(), c.ringId).toBe(warn ? 1 : 0);
      }
      return api;
    };
    await poll(() => page.getByTestId('coverage-containment').count()).toBe(1);
    // Figures move with the fleet; compare once the panel shows what the API says now.
    await eventually('panel matching the API', () => check().then(() => true, () => false), 20_000, 300);
    expect(await page.getByTestId('coverage-legend').textContent()).toContain('hatched = not reachable within the ring target');
    // No drone reachable: every ring's promise is broken, and the box says so by name.
    for (const d of stack.fleet.drones.values()) d.injectFault({ kind: 'link_loss', durationS: 600 });
    await poll(() => page.getByTestId('coverage-control').getAttribute('data-verdict'), 40_000).toBe('unreachable');
    await eventually('panel matching the API with the fleet silent', () => check().then((a) => a.length === 3 && a.every((c) => c.areaPct === 0), () => false), 30_000, 300);
    await poll(() => page.getByTestId('coverage-containment').getByTestId('cov-warning').textContent()).toBe('⚠ Containment ring cannot be reached within 60 s everywhere: 0% of its area is covered');
    await poll(() => page.getByTestId('coverage-containment').getByTestId('cov-uncovered').textContent()).toMatch(/^Not reachable in time: .*North gate/);
    await screenshot(page, 'coverage-unreachable');
    for (const d of stack.fleet.drones.values()) d.clearFaults();
    await page.getByTestId('tab-drones').click();
    await poll(() => page.getByTestId('coverage-control').getAttribute('data-verdict'), 40_000).not.toBe('unreachable');
    await poll(() => page.getByTestId('drone-count').textContent(), 30_000).toMatch(/8 online/);
  }, 180_000);
});

describe('the alarm queue', () => {
  it('orders by severity then age, names type, place and ring, shows the note, and a late sign-in sees the responder\'s state', async () => {
    await apiAs('operator', 'POST', '/api/dispatch', { ...cp(3), severity: 'medium', playWarning: false });
    await apiAs('operator2', 'POST', '/api/dispatch', { ...cp(1), severity: 'critical', note: 'Person climbing the fence', playWarning: false });
    // operator2 signs in after both dispatches: nothing of them was on its live stream.
    await as('operator2');
    await page.getByTestId('tab-ops').click();
    const items = page.getByTestId('alarm-item');
    await poll(() => items.count()).toBeGreaterThanOrEqual(2);
    const severities = await items.evaluateAll((els) => els.map((e) => e.getAttribute('data-severity')));
    const rank: Record<string, number> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };
    expect(severities).toEqual([...severities].sort((a, b) => rank[b!]! - rank[a!]!));
    const top = items.first();
    expect(await top.getAttribute('data-severity')).toBe('critical');
    expect(await top.textContent()).toMatch(/^critical Manual dispatch · 0 m from Station east entrance · by operator2 · (Containment|Prevention|Control) ring · open/);
    expect(await top.getByTestId('alarm-note').textContent()).toBe('Note: Person climbing the fence');
    // The responder's command state, fetched for this late console: never "…".
    await poll(() => top.getByTestId('alarm-responder').getAttribute('data-state')).not.toBe('unknown');
    expect(await top.getByTestId('alarm-responder').textContent()).toMatch(/^Responder (Heron|Egret|Kite|Osprey) \d: (waiting for the drone|accepted, being checked|under way|achieved)/);
    // Click to centre: the map moves to the alarm.
    await top.getByTestId('alarm-centre').click();
    const box = (await page.getByTestId('map').boundingBox())!;
    await poll(async () => {
        const c = await js<{ latDeg: number; lonDeg: number }>(`window.__rw.mapLatLngAt(${box.x + box.width / 2}, ${box.y + box.height / 2})`);
        return Math.hypot((c.latDeg - cp(1).latDeg) * 111_320, (c.lonDeg - cp(1).lonDeg) * 96_000) < 30;
      }).toBe(true);
    // Every responder's state, not only the top one's: none stays "…" for this late console.
    await poll(async () => (await page.getByTestId('alarm-responder').evaluateAll((els) => els.map((e) => e.getAttribute('data-state')))).filter((st) => st === 'unknown').length).toBe(0);
    await page.waitForTimeout(500); // let the zoom animation finish before the picture
    await screenshot(page, 'operator-alarm-queue');

    // Reassign to a chosen drone: asked first, then the server's alarm names it.
    const id = (await top.getAttribute('data-id'))!;
    const before = [...stack.ops.alarms.list()].find((a) => a.id === id)!.responder?.droneId;
    const other = ['drone-7', 'drone-8', 'drone-5'].find((d) => d !== before)!;
    await top.getByTestId('alarm-reassign-drone').selectOption(other);
    await top.getByTestId('alarm-reassign').click();
    expect(await page.getByTestId('confirm-text').textContent()).toBe(`Give this alarm to ${stack.site.drones.find((d) => d.id === other)!.name}? The current responder is released.`);
    await page.getByTestId('confirm-ok').click();
    // The server may ask again (a patrol drone below its ring's minimum): confirm that too.
    await page.getByTestId('confirm-ok').click({ timeout: 3000 }).catch(() => undefined);
    await eventually(`alarm reassigned to ${other}`, () => [...stack.ops.alarms.list()].find((a) => a.id === id)!.responder?.droneId === other, 20_000).catch(async (err) => {
      throw new Error(`${(err as Error).message}; toasts: ${await page.getByTestId('toasts').textContent()}`);
    });
    await poll(() => page.locator(`[data-testid="alarm-item"][data-id="${id}"] [data-testid="alarm-responder"]`).textContent()).toContain(`Responder ${stack.site.drones.find((d) => d.id === other)!.name}:`);
  }, 90_000);
});

describe('guardrails', () => {
  it('asks before resolving and stopping a patrol, shows busy while a request runs, and explains refusals in words', async () => {
    const top = page.getByTestId('alarm-item').first();
    const id = await top.getAttribute('data-id');
    await top.getByTestId('alarm-resolve').click();
    expect(await page.getByTestId('confirm-text').textContent()).toMatch(/^Resolve this alarm \(Manual dispatch, 0 m from Station east entrance\)\?/);
    await page.getByTestId('confirm-cancel').click();
    expect([...stack.ops.alarms.list()].find((a) => a.id === id)!.state).toBe('open');
    await top.getByTestId('alarm-resolve').click();
    await page.getByTestId('confirm-ok').click();
    await poll(() => page.locator(`[data-testid="alarm-item"][data-id="${id}"]`).count()).toBe(0);
    expect([...stack.ops.alarms.list()].find((a) => a.id === id)!.state).toBe('resolved');

    // A slow server: the button is busy (disabled) until the answer, and a second click sends nothing.
    let starts = 0;
    await page.route('**/api/patrols/start', async (route) => {
      starts++;
      await new Promise((r) => setTimeout(r, 1500));
      await route.continue();
    });
    for (const r of ['prevention', 'control']) await page.getByTestId(`patrol-ring-${r}`).uncheck();
    const startBtn = page.getByTestId('patrol-start');
    await startBtn.click();
    expect(await startBtn.getAttribute('data-busy')).toBe('true');
    expect(await startBtn.isDisabled()).toBe(true);
    await startBtn.click({ force: true }).catch(() => undefined);
    await poll(() => page.getByTestId('patrol-state').getAttribute('data-running')).toBe('containment');
    // The live stream may report the patrol before the HTTP answer lands: busy until then.
    await poll(() => startBtn.getAttribute('data-busy')).toBe('false');
    expect(starts).toBe(1);
    await page.unroute('**/api/patrols/start');

    await page.getByTestId('patrol-stop').click();
    expect(await page.getByTestId('confirm-text').textContent()).toBe('Stop the patrol on Containment ring? Drones on the loop return home.');
    await page.keyboard.press('Escape');
    expect(stack.ops.patrols.state().find((r) => r.ringId === 'containment')!.active).toBe(true);
    await page.getByTestId('patrol-stop').click();
    await page.getByTestId('confirm-ok').click();
    await poll(() => page.getByTestId('patrol-state').getAttribute('data-running')).toBe('');

    // The server's validation text, repeated once per failed rule, becomes one line naming the field.
    await page.route('**/api/patrols/preview', (route) =>
      route.fulfill({ status: 400, contentType: 'application/json', body: JSON.stringify({ statusCode: 400, code: 'API_ERR_VALIDATION', error: 'Bad Request', message: Array(12).fill('body/kind must be equal to constant').join(', ') }) }),
    );
    await page.getByTestId('patrol-preview').click();
    await poll(() => page.getByTestId('toast-error').last().textContent()).toBe('Not accepted — check: kind');
    await page.unroute('**/api/patrols/preview');
    // A real refusal with a code: a drone command to a vehicle without a link.
    stack.fleet.drones.get('drone-8')!.injectFault({ kind: 'link_loss', durationS: 600 });
    await eventually('drone-8 lost', async () => (await apiAs<{ id: string; link: string }[]>('operator', 'GET', '/api/drones')).find((d) => d.id === 'drone-8')!.link === 'lost', 40_000, 300);
    await page.getByTestId('tab-drones').click();
    await page.getByTestId('drone-list').selectOption('drone-8');
    await page.getByTestId('cmd-land').click();
    expect(await page.getByTestId('confirm-text').textContent()).toBe('Land Osprey 2 where it is now?');
    await page.getByTestId('confirm-ok').click();
    const land = page.locator('[data-testid="ledger-item"][data-kind="land"]');
    const toast = page.getByTestId('toast-error').last();
    // Either the API refuses at once (no live link) or the ledger records the drone never answering.
    await poll(async () => ((await toast.count()) ? await toast.textContent() : await land.getAttribute('data-state').catch(() => null)), 40_000).toMatch(/^(The drone has no live link|timed_out|failed)$/);
    stack.fleet.drones.get('drone-8')!.clearFaults();
  }, 120_000);
});

describe('session expiry', () => {
  it('returns to the sign-in with a message when the server ends the session', async () => {
    await page.evaluate(async () => void (await fetch('/api/logout', { method: 'POST' })));
    await page.getByTestId('tab-ops').click();
    await page.getByTestId('patrol-preview').click();
    await poll(() => page.getByTestId('login-notice').textContent()).toBe('Your session has ended. Please sign in again.');
    expect(await page.getByTestId('whoami').count()).toBe(0);
    await screenshot(page, 'session-ended');
    await loginAs(page, stack.webUrl, 'operator');
  }, 60_000);
});

describe('both languages, fully', () => {
  it('a Chinese browser sees no English UI string outside proper names', async () => {
    const zh = await startBrowser({ locale: 'zh-CN', width: 1366, height: 768 });
    try {
      const p = await zh.context.newPage();
      p.setDefaultTimeout(UI_MS);
      await apiAs('operator2', 'POST', '/api/dispatch', { ...cp(2), note: '可疑人员', playWarning: false });
      stack.fleet.drones.get('drone-2')!.injectFault({ kind: 'battery_sag', pct: 80 });
      await loginAs(p, stack.webUrl, 'chief');
      expect(await p.evaluate('document.documentElement.lang')).toBe('zh-CN');
      await p.getByTestId('alerts-toggle').click();
      await expect.poll(() => p.getByTestId('alert-item').count(), { timeout: 20_000 }).toBeGreaterThan(0);
      // Proper names and codes that stay as they are in any language: the site's own names,
      // people, device ids, flight-mode names of the autopilot, units, language names.
      const site = stack.site;
      const proper = [
        site.site.name,
        site.core.name,
        ...site.checkpoints.map((c) => c.name),
        ...site.speakers.map((s) => s.name),
        ...site.drones.map((d) => d.name),
        ...site.noFlyZones.map((z) => z.name),
        ...site.warnings.flatMap((w) => [w.title, w.text, w.text.slice(0, 40)]),
        ...(site.users ?? []).flatMap((u) => [u.displayName, u.username]),
        'ringwatch',
        'Leaflet',
        'English',
        'InfluxDB',
        // Notes typed by operators in earlier tests: their words, not the console's.
        'Smoke near the gate',
        'Person climbing the fence',
      ].sort((a, b) => b.length - a.length);
      const leaks = new Set<string>();
      // What a vehicle said in its own words (an autopilot's STATUSTEXT) is evidence, shown
      // as it came and marked so; everything else on screen is the console's to translate.
      const ours = `(() => {
        const ev = [...document.querySelectorAll('[data-evidence]')];
        ev.forEach((e) => (e.style.display = 'none'));
        const text = document.body.innerText;
        ev.forEach((e) => (e.style.display = ''));
        return text;
      })()`;
      const scan = async (where: string) => {
        let text = (await p.evaluate(ours)) as string;
        for (const n of proper) text = text.split(n).join(' ');
        text = text.replace(/\b(drone|cp|sp|warn)-[\w-]+/g, ' ').replace(/\b(STABILIZE|GUIDED|AUTO|RTL|LAND|LOITER|BRAKE|POSHOLD|ALT_HOLD|SMART_RTL)\b/g, ' ').replace(/\b(km|m\/s|m|s|V)\b/g, ' ');
        for (const w of text.match(/[A-Za-z]{2,}/g) ?? []) leaks.add(`${where}: ${w}`);
      };
      await scan('drones');
      await p.getByTestId('drone-list').selectOption('drone-1');
      await scan('drone details');
      await p.getByTestId('tab-ops').click();
      await p.getByTestId('alarm-item').first().waitFor();
      await expect.poll(() => p.getByTestId('alarm-responder').first().getAttribute('data-state'), { timeout: 20_000 }).not.toBe('unknown');
      // drone-2's battery sag: the autopilot's own low-battery text, said in Chinese, with
      // its words beneath as evidence (not only on hover).
      const battery = p.locator('[data-testid="alarm-item"]').filter({ has: p.locator('[data-evidence="autopilot"]', { hasText: /Battery/ }) }).first();
      await expect.poll(() => battery.count(), { timeout: 30_000 }).toBe(1);
      expect(await battery.getByTestId('alarm-detail').textContent()).toMatch(/^飞控报告电池电量(低|严重不足)$/);
      expect(await battery.getByTestId('alarm-autopilot').textContent()).toMatch(/^飞控：“Battery 1 is (low|critical) [\d.]+V used \d+ mAh”$/);
      expect(await battery.getByTestId('alarm-autopilot').isVisible()).toBe(true);
      await scan('ops');
      await p.getByTestId('patrol-stop').click();
      await scan('confirm');
      await p.getByTestId('confirm-cancel').click();
      await p.getByTestId('tab-broadcast').click();
      await scan('broadcast');
      await p.getByTestId('tab-history').click();
      await scan('history');
      await p.screenshot({ path: 'artifacts/web-map/zh-console.png' });
      expect([...leaks].join(' ')).toBe('');
    } finally {
      await zh.close();
      stack.fleet.drones.get('drone-2')!.clearFaults();
    }
  }, 120_000);
});

describe('ground-station basics', () => {
  it('opens on the whole control ring over the district\'s own basemap, with layer switches, and fits 1366×768 without overlap', async () => {
    await as('operator');
    // The default view holds the outermost ring.
    const box = (await page.getByTestId('map').boundingBox())!;
    const nw = await js<{ latDeg: number; lonDeg: number }>(`window.__rw.mapLatLngAt(${box.x + 1}, ${box.y + 1})`);
    const se = await js<{ latDeg: number; lonDeg: number }>(`window.__rw.mapLatLngAt(${box.x + box.width - 1}, ${box.y + box.height - 1})`);
    const ring = stack.site.rings.find((r) => r.id === 'control')!.shape as { center: { latDeg: number; lonDeg: number }; radiusM: number };
    const dLat = ring.radiusM / 111_320;
    const dLon = dLat / Math.cos((ring.center.latDeg * Math.PI) / 180);
    expect(nw.latDeg).toBeGreaterThan(ring.center.latDeg + dLat);
    expect(se.latDeg).toBeLessThan(ring.center.latDeg - dLat);
    expect(nw.lonDeg).toBeLessThan(ring.center.lonDeg - dLon);
    expect(se.lonDeg).toBeGreaterThan(ring.center.lonDeg + dLon);

    // No tile source configured: the site's vector basemap, and no "unreachable" banner.
    await page.locator('[data-base="water"]', { hasText: 'Mirror Lake' }).waitFor();
    // Paths go to a canvas of their own in the basemap pane (the map prefers canvas).
    expect(await page.locator('.leaflet-vectorBase-pane canvas').count()).toBe(1);
    expect(await page.getByTestId('banner-tiles').count()).toBe(0);

    // Layer switches, remembered across a reload.
    await page.getByTestId('layers-toggle').click();
    await page.getByTestId('layer-rings').uncheck();
    await poll(() => page.locator('[data-ring="containment"]').count()).toBe(0);
    await page.getByTestId('layer-drones').uncheck();
    expect(await page.getByTestId('drone-canvas').isHidden()).toBe(true);
    await page.reload();
    await page.getByTestId('whoami').waitFor();
    expect(await page.locator('[data-ring="containment"]').count()).toBe(0);
    expect(await page.getByTestId('drone-canvas').isHidden()).toBe(true);
    await page.getByTestId('layers-toggle').click();
    await page.getByTestId('layer-rings').check();
    await page.getByTestId('layer-drones').check();
    await poll(() => page.locator('[data-ring="containment"]').count()).toBe(1);
    expect(await page.getByTestId('drone-canvas').isHidden()).toBe(false);
    await page.getByTestId('layers-toggle').click();

    // 1366×768: the header fits on one line, and nothing on the map covers anything else.
    expect(await js<boolean>('(() => { const h = document.querySelector("header.top"); return h.scrollWidth <= h.clientWidth; })()')).toBe(true);
    const rects = await Promise.all(
      ['coverage-panel', 'layer-switch'].map(async (id) => ({ id, r: (await page.getByTestId(id).boundingBox())! })),
    );
    rects.push({ id: 'zoom', r: (await page.locator('.leaflet-control-zoom').boundingBox())! });
    rects.push({ id: 'side', r: (await page.locator('aside.side').boundingBox())! });
    const overlap = (a: { x: number; y: number; width: number; height: number }, b: typeof a) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
    for (const a of rects) {
      expect(a.r.x + a.r.width, a.id).toBeLessThanOrEqual(1366);
      expect(a.r.y + a.r.height, a.id).toBeLessThanOrEqual(768);
      for (const b of rects) if (a !== b) expect(overlap(a.r, b.r), `${a.id} over ${b.id}`).toBe(false);
    }
    await screenshot(page, 'operator-1366x768');
  }, 60_000);
});
