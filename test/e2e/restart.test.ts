/**
 * The page's live connection, when it is late. A server crash mid-batch: `kiln serve`
 * killed with SIGKILL while the Batch page follows six running jobs, then started again
 * on the same port and store. The page shows it is reconnecting, goes live again by
 * itself (the same document: a marker set on `window` before the crash survives), and
 * ends with every job completed: no gap. The jobs' second attempts run as soon as the
 * server is back, so most of their changes are committed while the page is still
 * waiting to reconnect.
 *
 * And a page whose event stream starts late: the Job and Batch pages' first reads answer,
 * then a job is cancelled, and only then does the stream (held by the test) start, so its
 * snapshot (batches, no jobs) and its changes after that point both miss the cancel. The
 * page must show it anyway, without a reload.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
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

e2eSuite('the live connection, late', (browser) => {
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

  it("shows a job change committed between the page's first read and its stream's start", async () => {
    const release = join(server.dir, 'release-first-read');
    const batchId = await server.createBatch({
      name: 'changed while opening',
      jobs: ['o1', 'o2'].map((label) => ({
        type: 'e2e.steps',
        name: label,
        params: { label, hang: 'always', until: release },
      })),
    });
    try {
      await waitFor(async () => (await server.batch(batchId)).counts.running === 2, {
        what: 'both jobs running',
      });
      const [o1, o2] = (await server.jobsOf(batchId)).sort((a, b) => (a.name! < b.name! ? -1 : 1));
      const cancel = async (id: string) => {
        await server.api(`/api/jobs/${id}/cancel`, { method: 'POST' });
        expect((await server.job(id)).state).toBe('cancelled');
      };

      /**
       * Opens `path` with its event stream held back until the page's read that `isRead`
       * matches has answered and `between` has run.
       */
      const openLate = async (
        path: string,
        isRead: (url: URL) => boolean,
        between: () => Promise<void>,
      ): Promise<Page> => {
        const { page } = await browser.page();
        let letGo!: () => void;
        const held = new Promise<void>((resolve) => {
          letGo = resolve;
        });
        await page.route(
          (url) => url.pathname === '/api/events',
          async (route) => {
            await held;
            await route.continue();
          },
        );
        const read = page.waitForResponse(
          (r) => r.request().method() === 'GET' && r.ok() && isRead(new URL(r.url())),
        );
        await page.goto(`${server.url}${path}`);
        await read;
        expect(
          await page.getByTestId('connection-status').getAttribute('data-status'),
          'the stream still held',
        ).not.toBe('live');
        await between();
        letGo();
        await live(page);
        return page;
      };

      // The Job page: read while running, cancelled, then the stream starts.
      const jobPage = await openLate(
        `/jobs/${o1!.id}`,
        (url) => url.pathname === `/api/jobs/${o1!.id}`,
        () => cancel(o1!.id),
      );
      await waitAttr(jobPage.getByTestId('job-detail'), 'data-state', 'cancelled');

      // The Batch page: its jobs read while o2 runs, o2 cancelled, then the stream starts.
      const batchPage = await openLate(
        `/batches/${batchId}`,
        (url) => url.pathname === '/api/jobs' && url.searchParams.get('batchId') === batchId,
        () => cancel(o2!.id),
      );
      await waitAttr(
        batchPage.locator(`[data-testid="job-row"][data-job-id="${o2!.id}"]`),
        'data-state',
        'cancelled',
      );
      await waitAttr(batchPage.getByTestId('batch-detail'), 'data-state', 'cancelled');
    } finally {
      writeFileSync(release, '');
    }
  });
});
