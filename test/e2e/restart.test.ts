/**
 * A server crash mid-batch: `kiln serve` killed with SIGKILL while the Batch page follows
 * six running jobs, then started again on the same port and store. The page shows it is
 * reconnecting, goes live again by itself (the same document: a marker set on `window`
 * before the crash survives), and ends with every job completed: no gap. The jobs' second
 * attempts run as soon as the server is back, so most of their changes are committed
 * while the page is still waiting to reconnect.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../support/helpers.ts';
import { e2eSuite } from './support/browser.ts';
import {
  countOf,
  live,
  marker,
  setMarker,
  waitAttr,
  waitEveryRowCompleted,
  waitText,
} from './support/page.ts';
import { KilnServer } from './support/server.ts';

e2eSuite('a server restart', (browser) => {
  const server = new KilnServer();
  beforeAll(() => server.start());
  afterAll(() => server.cleanup());

  it('the Batch page reconnects by itself and shows the batch to its end', async () => {
    const { page } = await browser.page();
    const labels = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'];
    const batchId = await server.createBatch({
      name: 'through a restart',
      jobs: labels.map((label) => ({
        type: 'e2e.steps',
        name: label,
        // The first attempt holds at step 1 until the crash; the next runs through, while
        // the page may still be reconnecting: it must catch up on what it missed.
        params: { label, steps: 10, everyMs: 30, hang: 'first-attempt' },
      })),
    });
    await page.goto(`${server.url}/batches/${batchId}`);
    await live(page);
    await setMarker(page, 'same document');
    // Running, held at step 1, on the page.
    await waitFor(
      async () => {
        const rows = await page.getByTestId('job-row').all();
        if (rows.length !== labels.length) return false;
        for (const row of rows) {
          const v = Number(await row.getByTestId('job-progress').getAttribute('aria-valuenow'));
          if (!(v > 0)) return false;
          if ((await row.getAttribute('data-state')) !== 'running') return false;
        }
        return true;
      },
      { what: 'every row with progress' },
    );

    let failedRequests = 0;
    page.on('requestfailed', () => failedRequests++);
    const step = (what: string) =>
      process.stdout.write(`restart: ${what} at ${Date.now() - t0} ms\n`);
    const t0 = Date.now();
    await server.kill();
    step('killed');
    await waitAttr(page.getByTestId('connection-status'), 'data-status', 'reconnecting');
    expect(((await page.getByTestId('connection-status').textContent()) ?? '').trim()).toMatch(
      /reconnecting/i,
    );

    step('reconnecting shown');
    // A long outage, not a blip: the page's retries have failed a few times (its backoff
    // grows) before the server is back.
    await waitFor(() => failedRequests >= 4, { timeoutMs: 30_000, what: 'four failed requests' });
    step(`${failedRequests} failed requests`);
    await server.start();
    step('started again');
    await live(page, 30_000);
    step('live again');
    await waitAttr(page.getByTestId('batch-detail'), 'data-state', 'completed', 60_000);
    await waitText(page.getByTestId('batch-count-completed'), String(labels.length));
    expect(await countOf(page, 'batch-count-running')).toBe(0);
    expect(await countOf(page, 'batch-count-failed')).toBe(0);
    await waitAttr(page.getByTestId('batch-progress'), 'aria-valuenow', '100');
    await waitEveryRowCompleted(page);
    const messages = (await page.getByTestId('job-message').allTextContents()).map((m) => m.trim());
    expect(messages.sort()).toEqual(labels.map((l) => `${l} done`));
    // The crashed attempts ran again: the rows show the attempt the server has.
    const jobs = await server.jobsOf(batchId);
    for (const job of jobs) {
      expect(job.state).toBe('completed');
      expect(
        await page
          .locator(`[data-testid="job-row"][data-job-id="${job.id}"]`)
          .getAttribute('data-attempt'),
      ).toBe(String(job.attempt));
    }
    expect(await marker(page)).toBe('same document');
  });
});
