/**
 * Small page helpers for the browser tests. Every wait is bounded and polls a condition
 * (no fixed sleeps); a timeout says what it waited for and what it saw last.
 */
import { readFileSync } from 'node:fs';
import { strFromU8, unzipSync } from 'fflate';
import type { Download, Locator, Page } from 'playwright-core';
import { waitFor } from '../../support/helpers.ts';
import type { PageWindow } from './chromium.ts';

/** Waits until `locator`'s attribute `name` is `value` (or passes `value` as a test). */
export async function waitAttr(
  locator: Locator,
  name: string,
  value: string | ((v: string | null) => boolean),
  timeoutMs = 20_000,
): Promise<string | null> {
  const ok = typeof value === 'string' ? (v: string | null) => v === value : value;
  let last: string | null = null;
  await waitFor(
    async () => {
      last = await locator.first().getAttribute(name, { timeout: 2_000 });
      return ok(last);
    },
    {
      timeoutMs,
      intervalMs: 25,
      what: () => `${locator} [${name}] to be ${String(value)} (last ${last})`,
    },
  );
  return last;
}

/** Waits until `locator`'s text (trimmed) is `value`. */
export async function waitText(locator: Locator, value: string, timeoutMs = 20_000): Promise<void> {
  let last: string | null = null;
  await waitFor(
    async () => {
      last = ((await locator.first().textContent({ timeout: 2_000 })) ?? '').trim();
      return last === value;
    },
    { timeoutMs, intervalMs: 25, what: () => `${locator} to read "${value}" (last "${last}")` },
  );
}

/** The number a `batch-count-*` (or similar) element shows. */
/** Waits until every job row on the page is completed with its bar at 100. */
export async function waitEveryRowCompleted(page: Page): Promise<void> {
  await waitFor(
    async () => {
      for (const row of await page.getByTestId('job-row').all()) {
        if ((await row.getAttribute('data-state')) !== 'completed') return false;
        if ((await row.getByTestId('job-progress').getAttribute('aria-valuenow')) !== '100')
          return false;
      }
      return true;
    },
    { what: 'every row completed at 100' },
  );
}

export async function countOf(page: Page, testId: string): Promise<number> {
  const text = (await page.getByTestId(testId).first().textContent()) ?? '';
  return Number(text.replace(/[^\d]/g, ''));
}

/** Waits for `connection-status` to say live. */
export function live(page: Page, timeoutMs = 20_000): Promise<string | null> {
  return waitAttr(page.getByTestId('connection-status'), 'data-status', 'live', timeoutMs);
}

/** Sets a marker on `window` that only a reload would remove. */
export async function setMarker(page: Page, value: string): Promise<void> {
  await page.evaluate((v) => {
    (globalThis as unknown as PageWindow).__kilnE2eMarker = v;
  }, value);
}

export function marker(page: Page): Promise<unknown> {
  return page.evaluate(() => (globalThis as unknown as PageWindow).__kilnE2eMarker);
}

/** The data-testid of the focused element (or of its closest ancestor that has one). */
export function focusedTestId(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const d = (globalThis as unknown as { document: { activeElement: unknown } }).document;
    const el = d.activeElement as {
      closest(s: string): { getAttribute(n: string): string } | null;
    } | null;
    return el?.closest('[data-testid]')?.getAttribute('data-testid') ?? null;
  });
}

/** Presses Tab until the element with `testId` has the focus (at most `max` presses). */
export async function tabTo(page: Page, testId: string, max = 80): Promise<void> {
  const seen: (string | null)[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const id = await focusedTestId(page);
    if (id === testId) return;
    seen.push(id);
  }
  throw new Error(`Tab never reached ${testId} in ${max} presses; focus went: ${seen.join(', ')}`);
}

/** A download's ZIP, unpacked: name -> bytes. */
export async function unzipDownload(download: Download): Promise<Record<string, Uint8Array>> {
  const failure = await download.failure();
  if (failure) throw new Error(`download failed: ${failure}`);
  const path = await download.path();
  return unzipSync(new Uint8Array(readFileSync(path)));
}

export function text(bytes: Uint8Array | undefined): string {
  if (!bytes) throw new Error('no such file in the archive');
  return strFromU8(bytes);
}
