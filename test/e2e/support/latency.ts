/**
 * Report-to-screen measurement on the Batch page, shared by `npm run bench:dashboard` and
 * the e2e test that checks the same page for correctness. A MutationObserver in the page
 * scans every rendered `job-row` on each DOM change and records, per job, each new
 * `job-message` value (`k@<report time>`, from the e2e.report job) with the page's time
 * (`performance.timeOrigin + performance.now()`; clockOffset() relates it to the handlers'
 * clock) and every `job-progress` aria-valuenow that fell below the one before (a bar
 * going backwards).
 */
import type { Page } from 'playwright-core';
import { nowMs } from '../../../bench/support/clock.ts';
import { percentile } from '../../../bench/support/stats.ts';
import type { PageWindow } from './chromium.ts';

/** What the page recorded for one job. */
export interface Shown {
  /** [report number, page time] of each distinct message value, in the order shown. */
  messages: [number, number][];
  /** Times the job's bar showed a lower value than it showed before. */
  backwards: number;
  /** Progress values seen (aria-valuenow), in order, changes only. */
  progress: number[];
}

/**
 * Makes the job rows' scroll container (the nearest scrollable ancestor of a row) tall
 * enough for `rows` rows, so that the virtualized list renders every one of them: the
 * page caps it at a screenful. Answers the height set.
 */
export async function growRowList(page: Page, rows: number): Promise<number> {
  return page
    .getByTestId('job-row')
    .first()
    .evaluate((row, n) => {
      type El = {
        parentElement: El | null;
        scrollHeight: number;
        clientHeight: number;
        style: { height: string; maxHeight: string };
        getBoundingClientRect(): { height: number };
      };
      const w = globalThis as unknown as { getComputedStyle(e: El): { overflowY: string } };
      const first = row as unknown as El;
      let el = first.parentElement;
      while (el) {
        const o = w.getComputedStyle(el).overflowY;
        if (o === 'auto' || o === 'scroll') break;
        el = el.parentElement;
      }
      if (!el) return 0;
      const height = Math.ceil(first.getBoundingClientRect().height * (n + 1));
      el.style.maxHeight = 'none';
      el.style.height = `${height}px`;
      return height;
    }, rows);
}

/** The job ids of the rendered rows that are inside the window, wholly or in part. */
export async function rowsInWindow(page: Page): Promise<string[]> {
  return page.getByTestId('job-row').evaluateAll((rows) => {
    const w = globalThis as unknown as { innerHeight: number; innerWidth: number };
    type Row = {
      getAttribute(name: string): string | null;
      getBoundingClientRect(): { top: number; bottom: number; left: number; right: number };
    };
    return (rows as unknown as Row[])
      .filter((row) => {
        const r = row.getBoundingClientRect();
        return r.bottom > 0 && r.top < w.innerHeight && r.right > 0 && r.left < w.innerWidth;
      })
      .map((row) => row.getAttribute('data-job-id') ?? '')
      .filter((id) => id !== '');
  });
}

/** Starts recording; the rows must be rendered already (records their current values). */
export async function startRecorder(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = globalThis as unknown as PageWindow;
    const shown: Record<
      string,
      { messages: [number, number][]; backwards: number; progress: number[] }
    > = {};
    const scan = () => {
      const at = performance.timeOrigin + performance.now();
      const rows = w.document.querySelectorAll('[data-testid="job-row"]');
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i]!;
        const id = row.getAttribute('data-job-id');
        if (!id) continue;
        let s = shown[id];
        if (!s) {
          s = { messages: [], backwards: 0, progress: [] };
          shown[id] = s;
        }
        const text = row.querySelector('[data-testid="job-message"]')?.textContent ?? '';
        const match = /^\s*(\d+)@/.exec(text);
        if (match) {
          const k = Number(match[1]);
          const last = s.messages[s.messages.length - 1];
          if (!last || last[0] !== k) s.messages.push([k, at]);
        }
        const raw = row
          .querySelector('[data-testid="job-progress"]')
          ?.getAttribute('aria-valuenow');
        if (raw != null && raw !== '') {
          const v = Number(raw);
          const prev = s.progress[s.progress.length - 1];
          if (prev === undefined || prev !== v) {
            if (prev !== undefined && v < prev) s.backwards++;
            s.progress.push(v);
          }
        }
      }
    };
    scan();
    const observer = new w.MutationObserver(scan);
    observer.observe(w.document.body, {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true,
      attributeFilter: ['aria-valuenow'],
    });
    w.__kilnShown = shown;
    w.__kilnStopRecorder = () => observer.disconnect();
  });
}

export async function recorded(page: Page): Promise<Record<string, Shown>> {
  return page.evaluate(
    () => (globalThis as unknown as PageWindow).__kilnShown as Record<string, Shown>,
  );
}

/** How many jobs' final report (`reports`) the page has shown so far. */
export async function finalsShown(page: Page, reports: number): Promise<number> {
  return page.evaluate((k) => {
    const shown = (globalThis as unknown as PageWindow).__kilnShown as Record<
      string,
      { messages: [number, number][] }
    >;
    return Object.values(shown).filter((s) => s.messages.some(([n]) => n >= k)).length;
  }, reports);
}

/**
 * The page's clock (`timeOrigin + now()`) minus the handlers' (nowMs(), the machine's
 * monotonic clock, which this process shares), from the round trip with the smallest
 * delay of `rounds` tries; `errorMs` bounds the estimate's error.
 */
export async function clockOffset(
  page: Page,
  rounds = 20,
): Promise<{ offsetMs: number; errorMs: number }> {
  let best = { offsetMs: 0, errorMs: Number.POSITIVE_INFINITY };
  for (let i = 0; i < rounds; i++) {
    const before = nowMs();
    const inPage = await page.evaluate(() => performance.timeOrigin + performance.now());
    const after = nowMs();
    const errorMs = (after - before) / 2;
    if (errorMs < best.errorMs) best = { offsetMs: inPage - (before + after) / 2, errorMs };
  }
  return best;
}

export interface Latency {
  /** Reports measured (after the skipped warm-up reports of each job). */
  reports: number;
  /** Of those, reports shown by then (by themselves or a later report of their job). */
  covered: number;
  missed: number;
  /** Jobs whose final report reached the screen. */
  finalsShown: number;
  jobs: number;
  /** Distinct report values that appeared on screen (coalescing may skip some). */
  distinctShown: number;
  backwards: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * Delay of each report (its time from the job's result) until the page first showed it
 * or a later report of the same job, pooled over jobs; the first `warmup` reports of
 * every job are left out. `offsetMs` (page clock minus the handlers') is subtracted.
 */
export function latency(
  reportTimes: Map<string, number[]>,
  shown: Record<string, Shown>,
  { warmup = 0, offsetMs = 0 } = {},
): Latency {
  const delays: number[] = [];
  let reports = 0;
  let missed = 0;
  let finals = 0;
  let distinct = 0;
  let backwards = 0;
  for (const [id, times] of reportTimes) {
    const s = shown[id] ?? { messages: [], backwards: 0, progress: [] };
    backwards += s.backwards;
    if (s.messages.some(([k]) => k >= times.length)) finals++;
    for (const [k] of s.messages) if (k > warmup) distinct++;
    for (let k = warmup + 1; k <= times.length; k++) {
      reports++;
      const first = s.messages.find(([n]) => n >= k);
      if (!first) missed++;
      else delays.push(first[1] - offsetMs - times[k - 1]!);
    }
  }
  return {
    reports,
    covered: delays.length,
    missed,
    finalsShown: finals,
    jobs: reportTimes.size,
    distinctShown: distinct,
    backwards,
    p50Ms: percentile(delays, 50),
    p99Ms: percentile(delays, 99),
    maxMs: delays.length ? Math.max(...delays) : Number.NaN,
  };
}
