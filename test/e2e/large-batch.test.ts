/**
 * A 10,000-job batch: its page opens, shows the totals, and scrolls from the first rows
 * to the last with far fewer rows in the DOM than jobs (virtualized). The server runs no
 * worker, so the rows stay put while the test scrolls.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../support/helpers.ts';
import { e2eSuite, frames } from './support/browser.ts';
import { live, waitText } from './support/page.ts';
import { KilnServer } from './support/server.ts';

const JOBS = 10_000;
/** Rows the DOM may hold at once: a screenful or two plus overscan, not thousands. */
const MAX_DOM_ROWS = 300;

e2eSuite('a 10,000-job batch', (browser) => {
  const server = new KilnServer({ concurrency: 0 });
  beforeAll(() => server.start());
  afterAll(() => server.cleanup());

  it('opens and scrolls with a bounded DOM', async () => {
    const batchId = await server.createBatch({
      name: 'ten thousand',
      jobs: Array.from({ length: JOBS }, (_, i) => ({
        type: 'e2e.steps',
        name: `row-${String(i).padStart(5, '0')}`,
        params: { label: `l${i}` },
      })),
    });
    const jobs = await server.jobsOf(batchId);
    const ids = new Set(jobs.map((j) => j.id));
    expect(ids.size).toBe(JOBS);
    const byName = new Map(jobs.map((j) => [j.name, j.id]));
    const ends = [
      byName.get('row-00000')!,
      byName.get(`row-${String(JOBS - 1).padStart(5, '0')}`)!,
    ];

    const { page } = await browser.page();
    await page.goto(`${server.url}/batches/${batchId}`);
    await live(page);
    await waitText(page.getByTestId('batch-count-total'), String(JOBS), 30_000);
    await page.getByTestId('job-row').first().waitFor();

    const domRows = async () => {
      const rows = await page
        .getByTestId('job-row')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-job-id')));
      for (const id of rows) expect(ids.has(id!), `row ${id} belongs to the batch`).toBe(true);
      return rows;
    };
    const first = await domRows();
    expect(first.length).toBeGreaterThan(5);
    expect(first.length).toBeLessThan(MAX_DOM_ROWS);

    // Scroll the rows' scroll container (the window if none) to fractions of its height.
    const scrollTo = (fraction: number) =>
      page
        .getByTestId('job-row')
        .first()
        .evaluate((row, f) => {
          type El = {
            parentElement: El | null;
            scrollHeight: number;
            clientHeight: number;
            scrollTop: number;
          };
          const view = globalThis as unknown as {
            getComputedStyle(e: El): { overflowY: string };
            document: { scrollingElement: El };
          };
          let el = (row as unknown as El).parentElement;
          while (el) {
            const o = view.getComputedStyle(el).overflowY;
            if ((o === 'auto' || o === 'scroll') && el.scrollHeight > el.clientHeight + 1) break;
            el = el.parentElement;
          }
          const target = el ?? view.document.scrollingElement;
          target.scrollTop = f * (target.scrollHeight - target.clientHeight);
          return target.scrollHeight;
        }, fraction);

    const seen = new Set(first);
    for (const fraction of [0.25, 0.5, 0.75, 1]) {
      await scrollTo(fraction);
      let rows: (string | null)[] = [];
      await waitFor(
        async () => {
          await frames(page);
          rows = await domRows();
          return rows.length > 5 && rows.some((id) => !seen.has(id));
        },
        { timeoutMs: 15_000, what: `new rows rendered at ${fraction * 100} %` },
      );
      expect(rows.length).toBeLessThan(MAX_DOM_ROWS);
      for (const id of rows) seen.add(id);
    }
    // One end of the batch (oldest or newest first) at the top, the other at the bottom.
    const last = await domRows();
    expect(
      (first.includes(ends[0]!) && last.includes(ends[1]!)) ||
        (first.includes(ends[1]!) && last.includes(ends[0]!)),
      'the first and the last job at the two ends of the list',
    ).toBe(true);
    expect(seen.size).toBeLessThan(JOBS);
  });
});
