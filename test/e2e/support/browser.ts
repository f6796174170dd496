/**
 * Debian's Chromium through playwright-core, for the browser tests. `e2eSuite()` runs a
 * file's tests when /usr/bin/chromium exists; without it they are skipped with a message
 * saying how to install it, except under CI=true, where its absence is a failure. One
 * browser per test file (its own temporary profile), a fresh context per page; every
 * uncaught page error fails the test (`pageErrors()` in afterEach), console errors are
 * kept for the failure message. Screenshots go to test-results/e2e/ (gitignored).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type Page,
} from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, frames, type PageWindow } from './chromium.ts';

export { CHROMIUM, frames, type PageWindow } from './chromium.ts';

export const SCREENSHOTS = fileURLToPath(new URL('../../../test-results/e2e/', import.meta.url));

const hasChromium = existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';

/**
 * `describe(name, fn)` with one browser for the file, or the skip (the failure in CI)
 * when Chromium is missing. `fn` gets the fixture.
 */
export function e2eSuite(name: string, fn: (b: BrowserFixture) => void): void {
  if (!hasChromium) {
    if (inCi) {
      test(`${name}: Chromium is installed (required in CI)`, () => {
        expect.fail(`${CHROMIUM} not found; CI runs the browser tests (apt-get install chromium)`);
      });
    } else {
      process.stdout.write(
        `${CHROMIUM} not found: skipping the browser tests "${name}" (install Debian's ` +
          'Chromium with `apt-get install chromium`; they are required when CI=true)\n',
      );
      describe.skip(name, () => {
        test('needs Chromium', () => {});
      });
    }
    return;
  }
  describe(name, () => {
    const fixture = new BrowserFixture();
    beforeAll(() => fixture.launch());
    afterEach((ctx) =>
      fixture.afterEach(
        ctx.task.result?.state === 'fail' ? ctx.task.name.replace(/[^\w-]+/g, '-') : undefined,
      ),
    );
    afterAll(() => fixture.close());
    fn(fixture);
  });
}

export interface Tracked {
  page: Page;
  context: BrowserContext;
  /** Uncaught exceptions in the page: each fails the test. */
  pageErrors: string[];
  /** console.error lines and failed requests (expected while a server restarts). */
  consoleErrors: string[];
}

export class BrowserFixture {
  browser: Browser | undefined;
  private open: Tracked[] = [];

  async launch(): Promise<void> {
    this.browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      timeout: 30_000,
    });
  }

  /** A page in a fresh context (no cookies, no storage), errors tracked. */
  async page(options: BrowserContextOptions = {}): Promise<Tracked> {
    if (!this.browser) throw new Error('the browser is not launched');
    const context = await this.browser.newContext({
      viewport: { width: 1280, height: 800 },
      acceptDownloads: true,
      colorScheme: 'light',
      ...options,
    });
    // Bounded waits everywhere: no Playwright call waits longer than this.
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const tracked: Tracked = { page, context, pageErrors: [], consoleErrors: [] };
    page.on('pageerror', (error) =>
      tracked.pageErrors.push(`${error.name}: ${error.message}\n${error.stack ?? ''}`),
    );
    page.on('console', (message) => {
      if (message.type() === 'error') tracked.consoleErrors.push(message.text());
    });
    this.open.push(tracked);
    return tracked;
  }

  /** Fails the test on any uncaught page error, then closes its contexts. */
  /** `failed`: the failed test's name; its pages are kept as failed-<name>-<n>.png. */
  async afterEach(failed?: string): Promise<void> {
    const open = this.open.splice(0);
    if (failed !== undefined) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      await Promise.all(
        open.map((t, i) =>
          t.page
            .screenshot({ path: join(SCREENSHOTS, `failed-${failed}-${i}.png`), fullPage: true })
            .catch(() => {}),
        ),
      );
      for (const t of open)
        if (t.consoleErrors.length > 0)
          process.stdout.write(
            `console errors on ${t.page.url()}:\n${t.consoleErrors.join('\n')}\n`,
          );
    }
    await Promise.all(open.map((t) => t.context.close().catch(() => {})));
    for (const t of open) {
      expect(
        t.pageErrors,
        `uncaught page errors (console errors: ${JSON.stringify(t.consoleErrors)})`,
      ).toEqual([]);
    }
  }

  async close(): Promise<void> {
    await this.browser?.close();
  }
}

export const WIDTHS = [1280, 390] as const;
export const SCHEMES = ['light', 'dark'] as const;

/**
 * Screenshots of the page as it is at 1280 and 390 px, light and dark, into
 * test-results/e2e/<view>-<width>-<scheme>.png. Answers what each variant measured
 * (horizontal overflow, the body's background) for the caller to check. `tall`: each
 * with a viewport as tall as the page, so that iframes below the fold are painted.
 */
export async function screenshots(
  page: Page,
  view: string,
  options: { tall?: boolean } = {},
): Promise<{ width: number; scheme: string; overflowPx: number; background: string }[]> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const seen = [];
  for (const width of WIDTHS) {
    const height = width === 390 ? 844 : 800;
    await page.setViewportSize({ width, height });
    for (const scheme of SCHEMES) {
      await page.emulateMedia({ colorScheme: scheme });
      await frames(page);
      if (options.tall) {
        // Chromium's full-page capture leaves out-of-process iframes (a sandboxed
        // preview) blank below the viewport: make the viewport as tall as the page.
        await page.setViewportSize({ width, height });
        await frames(page);
        const full = await page.evaluate(
          () => (globalThis as unknown as PageWindow).document.documentElement.scrollHeight,
        );
        await page.setViewportSize({ width, height: Math.max(height, full) });
        await frames(page);
      }
      await page.screenshot({
        path: join(SCREENSHOTS, `${view}-${width}-${scheme}.png`),
        fullPage: true,
        animations: 'disabled',
      });
      const measured = await page.evaluate(() => {
        const w = globalThis as unknown as PageWindow;
        const doc = w.document.documentElement;
        // The first opaque background from the body up.
        let background = 'rgba(0, 0, 0, 0)';
        for (const el of [w.document.body, doc]) {
          const c = w.getComputedStyle(el).backgroundColor;
          if (c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') {
            background = c;
            break;
          }
        }
        return { overflowPx: doc.scrollWidth - doc.clientWidth, background };
      });
      seen.push({ width, scheme, ...measured });
    }
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.emulateMedia({ colorScheme: 'light' });
  return seen;
}
