import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { WebStack } from '../helpers/stack.ts';
import { loginAs, screenshot } from '../helpers/browser.ts';
import { useConsolePage, patientPoll } from '../helpers/console-page.ts';
import { distanceM } from '../../site/geometry.ts';

// Issue 16 item 2 (outcomes on the drone, the alarm and the command list) and the
// ground-station basics of item 10 (hold, cancel, several drones at once).
let stack: WebStack;
let page: Page;
const UI_MS = 15_000;

useConsolePage({ stack: { speed: 10, sensors: 'none' }, browser: { width: 1366, height: 768 }, uiMs: UI_MS }, (c) => ({ stack, page } = c));

const poll = patientPoll(UI_MS);
const js = <T>(expr: string) => page.evaluate(expr) as Promise<T>;
const item = (kind: string) => page.locator(`[data-testid="ledger-item"][data-kind="${kind}"]`).first();
const label = (id: string) => js<string | undefined>(`window.__rw.droneLabel(${JSON.stringify(id)})`);

/** Where the map draws a WGS-84 point, from two screen → map samples (the map is locally linear). */
async function screenAt(p: { latDeg: number; lonDeg: number }): Promise<{ x: number; y: number }> {
  const box = (await page.getByTestId('map').boundingBox())!;
  const a = await js<{ latDeg: number; lonDeg: number }>(`window.__rw.mapLatLngAt(${box.x + 10}, ${box.y + 10})`);
  const b = await js<{ latDeg: number; lonDeg: number }>(`window.__rw.mapLatLngAt(${box.x + 110}, ${box.y + 110})`);
  return { x: box.x + 10 + ((p.lonDeg - a.lonDeg) / (b.lonDeg - a.lonDeg)) * 100, y: box.y + 10 + ((p.latDeg - a.latDeg) / (b.latDeg - a.latDeg)) * 100 };
}

describe('outcomes on the map', () => {
  it('a go-to reads waiting → under way with distance and time to go → achieved, in the list and on the drone', async () => {
    await page.context().clearCookies();
    await loginAs(page, stack.webUrl, 'operator');
    await poll(() => page.getByTestId('drone-count').textContent()).toMatch(/8 online/);
    await page.getByTestId('drone-list').selectOption('drone-1');
    await page.getByTestId('cmd-alt').fill('30');
    await page.getByTestId('cmd-takeoff').click();
    await poll(() => item('takeoff').getAttribute('data-outcome'), 40_000).toBe('achieved');
    expect(await item('takeoff').getByTestId('ledger-outcome').textContent()).toBe('achieved');
    // The word "done" is gone: the list says what happened.
    expect(await page.getByTestId('drone-ledger').textContent()).not.toContain('done');

    // A go-to to the second checkpoint, clicked on the map.
    const to = stack.site.checkpoints[1]!.position;
    await page.getByTestId('cmd-goto').click();
    const xy = await screenAt(to);
    await page.mouse.click(xy.x, xy.y);
    await poll(() => item('goto').getAttribute('data-outcome'), 20_000).toBe('under_way');
    expect(await item('goto').getByTestId('ledger-way').textContent()).toMatch(/^ · (\d+ m|\d\.\d km)( · \d+:\d\d)? to go$/);
    await poll(async () => (await label('drone-1')) ?? '').toMatch(/\nGo to · under way · (\d+ m|\d\.\d km)( · \d+:\d\d)? to go$/);
    await screenshot(page, 'operator-goto-under-way');
    await poll(() => item('goto').getAttribute('data-outcome'), 60_000).toBe('achieved');
    await poll(async () => (await label('drone-1')) ?? '').toMatch(/\nGo to · achieved$/);
  }, 150_000);

  it('an open command can be cancelled; hold keeps the drone where it is', async () => {
    const far = stack.site.checkpoints[3]!.position;
    await page.getByTestId('cmd-goto').click();
    const xy = await screenAt(far);
    await page.mouse.click(xy.x, xy.y);
    await poll(() => item('goto').getAttribute('data-outcome'), 20_000).toMatch(/accepted|under_way/);
    await item('goto').getByTestId('ledger-cancel').click();
    expect(await page.getByTestId('confirm-text').textContent()).toMatch(/^Cancel “Go to” for /);
    await page.getByTestId('confirm-ok').click();
    await poll(() => item('goto').getAttribute('data-outcome')).toBe('cancelled');
    expect(await item('goto').getByTestId('ledger-cancel').count()).toBe(0);

    await page.getByTestId('cmd-hold').click();
    expect(await page.getByTestId('confirm-text').textContent()).toMatch(/^Hold .+ where it is now\?$/);
    await page.getByTestId('confirm-ok').click();
    await poll(() => item('loiter').getAttribute('data-outcome'), 20_000).toBe('achieved');
  }, 60_000);

  it('return home goes to every selected drone', async () => {
    await page.getByTestId('drone-list').selectOption(['drone-1', 'drone-2']);
    expect(await page.getByTestId('drone-selection').getAttribute('data-count')).toBe('2');
    await page.getByTestId('cmd-rtl').click();
    const names = ['drone-1', 'drone-2'].map((id) => stack.site.drones.find((d) => d.id === id)!.name);
    expect(await page.getByTestId('confirm-text').textContent()).toBe(`Return 2 drones home (${names.join(', ')})?`);
    await page.getByTestId('confirm-ok').click();
    for (const id of ['drone-1', 'drone-2']) await poll(() => stack.control.ledger.list({ targetId: id }).some((r) => r.kind === 'rtl')).toBe(true);
  }, 60_000);

  it('measures a distance on the map', async () => {
    await page.getByTestId('tab-drones').click();
    const box = (await page.getByTestId('map').boundingBox())!;
    const a = { x: box.x + box.width / 2 - 150, y: box.y + box.height / 2 };
    const b = { x: a.x + 300, y: a.y };
    const c = { x: b.x, y: b.y + 200 };
    await page.getByTestId('measure').click();
    expect(await page.getByTestId('pick-hint').textContent()).toMatch(/^Click points to measure/);
    for (const p of [a, b, c]) await page.mouse.click(p.x, p.y);
    const ll = await Promise.all([a, b, c].map((p) => js<{ latDeg: number; lonDeg: number }>(`window.__rw.mapLatLngAt(${p.x}, ${p.y})`)));
    const expected = distanceM(ll[0]!, ll[1]!) + distanceM(ll[1]!, ll[2]!);
    // Within 0.2 %: the browser lands a click on whole pixels.
    await poll(async () => Math.abs(Number(await page.getByTestId('measure-result').getAttribute('data-m')) - expected)).toBeLessThan(expected * 0.002);
    expect(await page.getByTestId('measure-result').textContent()).toMatch(/ over 2 leg\(s\); last leg /);
    expect(await page.locator('path.measure-line').count()).toBe(1);
    await page.keyboard.press('Escape');
    expect(await page.getByTestId('pick-hint').isVisible()).toBe(false);
    // A click after measuring no longer measures.
    const measured = await page.getByTestId('measure-result').getAttribute('data-m');
    await page.mouse.click(a.x + 10, a.y + 40);
    expect(await page.getByTestId('measure-result').getAttribute('data-m')).toBe(measured);
    // The tool follows a language switch: its name and the result.
    await page.getByTestId('lang-switch').click();
    await poll(() => page.getByTestId('measure').getAttribute('title')).toBe('测量距离');
    expect(await page.getByTestId('measure-result').textContent()).toMatch(/^共 .+（2 段），最后一段 /);
    await page.getByTestId('lang-switch').click();
    await poll(() => page.getByTestId('measure').getAttribute('title')).toBe('Measure a distance');
  }, 60_000);

  it('the plan preview shows waypoints with altitudes, sorties and their schedule', async () => {
    const token = await stack.login('operator');
    const r = await fetch(`${stack.apiUrl}/api/patrols/preview`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
    const plan = (await r.json()) as { rings: { ringId: string; altitudeRelM: number; loop: unknown[]; sorties: unknown[] }[] };
    expect(plan.rings.length).toBeGreaterThan(0);
    await page.getByTestId('tab-ops').click();
    await page.getByTestId('patrol-preview').click();
    for (const ring of plan.rings) {
      const box = page.getByTestId(`plan-${ring.ringId}`);
      await box.waitFor();
      expect(await box.getByTestId('plan-figures').textContent()).toMatch(new RegExp(`^${ring.altitudeRelM} m altitude · [\\d.]+ m/s · ${ring.loop.length} waypoints`));
      expect(await box.getByTestId('plan-sorties').getAttribute('data-count')).toBe(String(ring.sorties.length));
      expect(await box.getByTestId('plan-sortie').count()).toBe(Math.min(8, ring.sorties.length));
    }
    expect(await page.locator('path.plan-wp').count()).toBe(plan.rings.reduce((n, x) => n + x.loop.length, 0));
    await page.locator('path.plan-wp').first().dispatchEvent('mouseover');
    await poll(() => page.locator('.leaflet-tooltip').first().textContent()).toMatch(/^Waypoint 1 · [\d.]+ m/);
    await screenshot(page, 'operator-plan-preview');
  }, 60_000);

  it('the alarm queue shows the responder\'s outcome with the way left', async () => {
    const token = await stack.login('operator2');
    const r = await fetch(`${stack.apiUrl}/api/dispatch`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ ...stack.site.checkpoints[2]!.position, note: 'outcome check' }) });
    expect(r.status).toBeLessThan(300);
    await page.getByTestId('tab-ops').click();
    const resp = page.getByTestId('alarm-responder').first();
    await poll(() => resp.getAttribute('data-outcome'), 30_000).not.toBe('unknown');
    // The outcome in words: under way with what the record reports (the way left, or a share done; never "0% to go").
    const words: Record<string, RegExp> = { pending: /: waiting for the drone/, accepted: /: accepted, being checked/, under_way: /: under way · ((\d+ m|\d\.\d km)( · \d+:\d\d)? to go|\d+%)( ·|$)/, achieved: /: achieved/, failed: /: failed/, timed_out: /: no answer/, cancelled: /: cancelled/ };
    const outcome = (await resp.getAttribute('data-outcome'))!;
    expect(await resp.textContent()).toMatch(words[outcome]!);
  }, 60_000);
});
