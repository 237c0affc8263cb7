import { afterAll, beforeAll, expect } from 'vitest';
import type { Page } from 'playwright-core';
import { startWebStack, type WebStack, type WebStackOptions } from './stack.ts';
import { startBrowser, type TestBrowser } from './browser.ts';

export interface ConsolePage {
  stack: WebStack;
  browser: TestBrowser;
  page: Page;
}

export interface ConsolePageOptions {
  stack: WebStackOptions;
  browser?: Parameters<typeof startBrowser>[0];
  /** Default timeout of every page action. */
  uiMs: number;
}

/**
 * One web stack and one Chromium page for a whole browser test file, closed after it.
 * `onOpen` hands them to the file's own variables, so its tests read `page`, not `ui.page`.
 */
export function useConsolePage(o: ConsolePageOptions, onOpen: (c: ConsolePage) => void): void {
  let stack: WebStack | undefined;
  let browser: TestBrowser | undefined;
  beforeAll(async () => {
    [stack, browser] = await Promise.all([startWebStack(o.stack), startBrowser(o.browser)]);
    const page = await browser.context.newPage();
    page.setDefaultTimeout(o.uiMs);
    onOpen({ stack, browser, page });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });
}

/** vitest's poll gives up after 1 s by default; a shared machine needs longer. */
export const patientPoll =
  (defaultTimeoutMs: number) =>
  <T>(fn: () => T | Promise<T>, timeout = defaultTimeoutMs) =>
    expect.poll(fn, { timeout, interval: 100 });
