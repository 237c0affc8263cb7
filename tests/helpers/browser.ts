import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoSite } from './broker.ts';

/** Debian's Chromium; `RINGWATCH_CHROMIUM` overrides. */
export const CHROMIUM = process.env['RINGWATCH_CHROMIUM'] ?? '/usr/bin/chromium';
export const ARTIFACTS = 'artifacts/web-map';

export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh profile that talks to nothing but what a page asks for. */
export async function startBrowser(o: { locale?: string; width?: number; height?: number } = {}): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'rw-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: o.width ?? 1280, height: o.height ?? 800 },
    locale: o.locale ?? 'en-US',
  });
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Signs in through the login form as a demo user and waits for the map. */
export async function loginAs(page: Page, baseUrl: string, username: string): Promise<void> {
  // Cookies ignore ports: a session from another test server on 127.0.0.1 would ride along.
  await page.context().clearCookies();
  await page.goto(baseUrl);
  await page.getByTestId('login-user').fill(username);
  await page.getByTestId('login-pass').fill(demoSite().secrets.users![username]!);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('whoami').waitFor({ timeout: 10_000 });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}
