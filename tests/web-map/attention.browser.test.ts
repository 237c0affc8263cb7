import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startWebStack, type WebStack } from '../helpers/stack.ts';
import { eventually } from '../helpers/control-stack.ts';
import { loginAs, screenshot, startBrowser, type TestBrowser } from '../helpers/browser.ts';

// Issue 16, the parts on today's API: attention, coverage, the alarm queue, guardrails,
// session expiry. One stack and one browser for the file; each test does what a user does.
let stack: WebStack;
let browser: TestBrowser;
let page: Page;
const UI_MS = 15_000;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startWebStack({ speed: 10, sensors: 'none' }), startBrowser({ width: 1366, height: 768 })]);
  page = await browser.context.newPage();
  page.setDefaultTimeout(UI_MS);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const js = <T>(expr: string) => page.evaluate(expr) as Promise<T>;
const beeps = () => js<number>('window.__rw.beeps()');

async function as(username: string): Promise<void> {
  await js('localStorage.clear()').catch(() => undefined);
  await loginAs(page, stack.webUrl, username);
  await expect.poll(() => page.getByTestId('drone-count').textContent(), { timeout: UI_MS }).toMatch(/8 online/);
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
    expect(await page.getByTestId('alerts-badge').count()).toBe(0);
    const before = await beeps();
    await apiAs('operator2', 'POST', '/api/dispatch', { ...cp(0), note: 'Smoke near the gate' });
    // On the Drones tab, where the issue saw nothing.
    await expect.poll(() => page.getByTestId('banner-critical').textContent()).toMatch(/New alarm: Manual dispatch · 0 m from North gate · (Containment|Prevention|Control) ring/);
    expect(await page.getByTestId('alerts-badge').textContent()).toBe('1');
    expect(await page.title()).toMatch(/^\(1\) /);
    expect(await beeps()).toBeGreaterThan(before);
    await page.getByTestId('alerts-toggle').click();
    const item = page.locator('[data-testid="alert-item"][data-kind="alarm"]');
    expect(await item.getAttribute('data-severity')).toBe('critical');
    await screenshot(page, 'operator-alert');
    await page.getByTestId('banner-ack').click();
    await expect.poll(() => page.getByTestId('banner-critical').count()).toBe(0);
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
    stack.fleet.drones.get('drone-3')!.injectFault({ kind: 'battery_sag', pct: 78 });
    await page.getByTestId('alerts-toggle').click();
    await expect.poll(() => page.locator('[data-testid="alert-item"][data-kind="battery_low"]').textContent(), { timeout: 20_000 }).toMatch(/^warning Egret 1: battery low, 2\d%/);
    stack.fleet.drones.get('drone-5')!.injectFault({ kind: 'link_loss', durationS: 600 });
    await expect.poll(() => page.getByTestId('banner-critical').textContent(), { timeout: 25_000 }).toContain('Kite 1: link lost');
    // Muted: listed and shown, but silent.
    expect(await beeps()).toBe(before);
    // Clicking an alert shows the drone.
    await page.locator('[data-testid="alert-item"][data-kind="link_lost"] [data-testid="alert-show"]').click();
    await expect.poll(() => page.getByTestId('drone-details').textContent()).toContain('drone-5');
    await page.getByTestId('alerts-ack-all').click();
    await page.getByTestId('alerts-toggle').click();
    stack.fleet.drones.get('drone-5')!.clearFaults();
    await page.getByTestId('alerts-mute').click();
    expect(await page.getByTestId('alerts-mute').getAttribute('data-muted')).toBe('false');
  }, 90_000);
});

describe('coverage you can read', () => {
  it('shows each ring\'s figures as the API computes them, uncovered checkpoints by name, and warns when a ring is out of reach', async () => {
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
    await expect.poll(() => page.getByTestId('coverage-containment').count()).toBe(1);
    // Figures move with the fleet; compare once the panel shows what the API says now.
    await eventually('panel matching the API', () => check().then(() => true, () => false), 20_000, 300);
    expect(await page.getByTestId('coverage-legend').textContent()).toContain('hatched = not reachable within the ring target');
    // No drone reachable: every ring's promise is broken, and the box says so by name.
    for (const d of stack.fleet.drones.values()) d.injectFault({ kind: 'link_loss', durationS: 600 });
    await expect.poll(() => page.getByTestId('coverage-control').getAttribute('data-verdict'), { timeout: 40_000 }).toBe('unreachable');
    const api = await eventually('panel matching the API with the fleet silent', () => check().then((a) => a, () => false), 20_000, 300);
    expect(api.every((c) => c.areaPct === 0)).toBe(true);
    expect(await page.getByTestId('coverage-containment').getByTestId('cov-warning').textContent()).toBe('⚠ Containment ring cannot be reached within 60 s everywhere: 0% of its area is covered');
    expect(await page.getByTestId('coverage-containment').getByTestId('cov-uncovered').textContent()).toMatch(/^Not reachable in time: .*North gate/);
    await screenshot(page, 'coverage-unreachable');
    for (const d of stack.fleet.drones.values()) d.clearFaults();
    await expect.poll(() => page.getByTestId('coverage-control').getAttribute('data-verdict'), { timeout: 40_000 }).not.toBe('unreachable');
    await expect.poll(() => page.getByTestId('drone-count').textContent(), { timeout: 30_000 }).toMatch(/8 online/);
  }, 180_000);
});
