import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { WebStack } from '../helpers/stack.ts';
import { loginAs, screenshot } from '../helpers/browser.ts';
import { useConsolePage, patientPoll } from '../helpers/console-page.ts';
import { resolveTargets } from '../../control/broadcast/targets.ts';

// Issue 16 item 6: what a chief sees and controls before a broadcast goes out.
let stack: WebStack;
let page: Page;
const UI_MS = 15_000;

useConsolePage({ stack: { speed: 10, sensors: 'none' }, browser: { width: 1366, height: 768 }, uiMs: UI_MS }, (c) => ({ stack, page } = c));

const js = <T>(expr: string) => page.evaluate(expr) as Promise<T>;
const poll = patientPoll(UI_MS);
type Sent = { target: { kind: string }; source: { kind: string; clipId?: string; text?: string; lang?: string } };
const sentRequests = () => stack.ops.broadcasts!.list().map((b) => b.request as Sent);

describe('broadcast safeguards', () => {
  it('names and rings the speakers a target reaches, previews the audio, sends the chosen warning as its clip', async () => {
    await page.context().clearCookies();
    await loginAs(page, stack.webUrl, 'chief');
    await poll(() => page.getByTestId('drone-count').textContent()).toMatch(/8 online/);
    await page.getByTestId('tab-broadcast').click();

    // The default warning follows the console's language (English here; the rings' own defaults are Chinese).
    expect(await page.getByTestId('bc-warning').inputValue()).toBe('warn-containment-en');
    // Typed-text controls do not apply while a warning is chosen; radius controls not while targeting rings.
    expect(await page.getByTestId('bc-text').isDisabled()).toBe(true);
    expect(await page.getByTestId('bc-radius').isDisabled()).toBe(true);
    expect(await page.getByTestId('bc-clear').isDisabled()).toBe(true);

    // How many speakers, and which, ringed on the map: the fixed ones the server's rule
    // picks, plus any drone-mounted speaker whose drone is in the ring now.
    const fixedIn = (ringIds: ('containment' | 'prevention')[]) => resolveTargets(stack.site, { kind: 'rings', ringIds }, new Map()).speakers.filter((s) => s.mount === 'fixed');
    const fixed = fixedIn(['containment']);
    expect(fixed.length).toBeGreaterThan(0);
    await poll(async () => Number(await page.getByTestId('bc-speakers').getAttribute('data-count'))).toBeGreaterThanOrEqual(fixed.length);
    const shown = Number(await page.getByTestId('bc-speakers').getAttribute('data-count'));
    for (const s of stack.site.speakers.filter((x) => fixed.some((e) => e.id === x.id))) expect(await page.getByTestId('bc-speakers').textContent()).toContain(s.name);
    expect(await page.locator('path.bc-target-ring').count()).toBe(shown);
    // A second ring adds its speakers.
    await page.getByTestId('bc-ring-prevention').check();
    await poll(() => page.locator('path.bc-target-ring').count()).toBeGreaterThanOrEqual(fixedIn(['containment', 'prevention']).length);
    await page.getByTestId('bc-ring-prevention').uncheck();
    await poll(() => page.locator('path.bc-target-ring').count()).toBe(shown);

    // Typed text is a deliberate choice; switching back to the warning sends the warning, not the text.
    await page.getByTestId('bc-source-text').check();
    expect(await page.getByTestId('bc-warning').isDisabled()).toBe(true);
    await page.getByTestId('bc-text').fill('Leftover text that must not go out');
    await page.getByTestId('bc-source-warning').check();
    expect(await page.getByTestId('bc-source-note').getAttribute('data-kind')).toBe('clip');

    // Hear it first: a WAV rendered by espeak-ng on the server, as the speakers render it.
    await page.getByTestId('bc-preview').click();
    await poll(() => page.getByTestId('bc-audio').getAttribute('data-bytes')).toMatch(/^\d{4,}$/);
    expect(await page.getByTestId('bc-audio').isHidden()).toBe(false);
    // The player loads it under the console's CSP and knows its length.
    await poll(() => js<number>(`document.querySelector('[data-testid="bc-audio"]').duration`)).toBeGreaterThan(1);
    // A WAV whose header states its real length (espeak-ng on a pipe writes placeholders,
    // and a player then shows no duration): read back from the player's own source.
    const sizes = await js<{ len: number; riff: number; data: number; tag: string }>(`(async () => {
      const b = new DataView(await (await fetch(document.querySelector('[data-testid="bc-audio"]').src)).arrayBuffer());
      return { len: b.byteLength, riff: b.getUint32(4, true), data: b.getUint32(40, true), tag: String.fromCharCode(b.getUint8(36), b.getUint8(37), b.getUint8(38), b.getUint8(39)) };
    })()`);
    expect(sizes).toEqual({ len: sizes.len, riff: sizes.len - 8, data: sizes.len - 44, tag: 'data' });
    await screenshot(page, 'chief-before-sending');

    await page.getByTestId('bc-send').click();
    expect(await page.getByTestId('confirm-text').textContent()).toBe(`Broadcast to ${shown} speakers (Containment ring)?`);
    await page.getByTestId('confirm-ok').click();
    await poll(() => sentRequests().length).toBe(1);
    expect(sentRequests()[0]!.source).toEqual({ kind: 'clip', clipId: 'warn-containment-en' });
    // The server reached the speakers the console named, and each played the clip.
    expect(stack.ops.broadcasts!.list()[0]!.report.snapshot().speakers.length).toBe(shown);
    await poll(() => page.locator('[data-testid="bc-speaker"][data-state="finished"]').count(), 30_000).toBe(shown);
  }, 90_000);

  it('sends typed text as speech only when chosen, and leaves map-picking after sending', async () => {
    await page.getByTestId('bc-mode-radius').check();
    expect(await page.getByTestId('bc-radius').isDisabled()).toBe(false);
    expect(await page.getByTestId('bc-ring-containment').isDisabled()).toBe(true);
    expect(await page.getByTestId('pick-hint').isVisible()).toBe(true);
    // No centre yet: nothing to send.
    expect(await page.getByTestId('bc-send').isDisabled()).toBe(true);
    const speaker = stack.site.speakers[0]!;
    // Centre the radius on the first fixed speaker, clicked where the map draws it.
    // The console exposes screen → map only; two samples give the (locally linear) inverse.
    const box = (await page.getByTestId('map').boundingBox())!;
    const at = (x: number, y: number) => page.evaluate(`window.__rw.mapLatLngAt(${x}, ${y})`) as Promise<{ latDeg: number; lonDeg: number }>;
    const [a, b] = [await at(box.x + 10, box.y + 10), await at(box.x + 110, box.y + 110)];
    const xy = { x: box.x + 10 + ((speaker.position.lonDeg - a.lonDeg) / (b.lonDeg - a.lonDeg)) * 100, y: box.y + 10 + ((speaker.position.latDeg - a.latDeg) / (b.latDeg - a.latDeg)) * 100 };
    await page.mouse.click(xy.x, xy.y);
    await page.getByTestId('bc-radius').fill('60');
    await poll(() => page.getByTestId('bc-speakers').textContent()).toContain(speaker.name);

    await page.getByTestId('bc-source-text').check();
    await page.getByTestId('bc-lang').selectOption('en');
    await page.getByTestId('bc-text').fill('Please keep the gate clear.');
    expect(await page.getByTestId('bc-source-note').getAttribute('data-kind')).toBe('tts');
    await page.getByTestId('bc-send').click();
    await page.getByTestId('confirm-ok').click();
    await poll(() => sentRequests().length).toBe(2);
    expect(sentRequests().find((r) => r.target.kind === 'radius')!.source).toEqual({ kind: 'tts', text: 'Please keep the gate clear.', lang: 'en' });
    // The map is the map again: a click no longer moves the centre.
    await poll(() => page.getByTestId('pick-hint').isVisible()).toBe(false);
  }, 60_000);
});
