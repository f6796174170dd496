/**
 * The latency bench's page, checked for correctness only (speed is the bench's, `npm run
 * bench:dashboard`): 20 jobs reporting 15 values 40 ms apart on one Batch page. Every
 * job's final report reaches the screen, and no progress bar ever goes backwards, as a
 * MutationObserver in the page sees them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../support/helpers.ts';
import { e2eSuite, frames } from './support/browser.ts';
import { finalsShown, latency, recorded, startRecorder } from './support/latency.ts';
import { live, waitAttr } from './support/page.ts';
import { KilnServer } from './support/server.ts';

const JOBS = 20;
const REPORTS = 15;

e2eSuite('live reports on the Batch page', (browser) => {
  const server = new KilnServer({ concurrency: JOBS });
  beforeAll(() => server.start());
  afterAll(() => server.cleanup());

  it("shows every job's final report and never moves a bar backwards", async () => {
    const go = join(server.dir, 'go');
    const batchId = await server.createBatch({
      name: 'live reports',
      jobs: Array.from({ length: JOBS }, (_, j) => ({
        type: 'e2e.report',
        params: { reports: REPORTS, everyMs: 40, startFile: go, offsetMs: (j * 40) / JOBS },
      })),
    });
    await waitFor(async () => (await server.batch(batchId)).counts.running === JOBS, {
      what: 'every job running',
    });
    const { page } = await browser.page({ viewport: { width: 1280, height: 400 + JOBS * 80 } });
    await page.goto(`${server.url}/batches/${batchId}`);
    await live(page);
    await waitFor(async () => (await page.getByTestId('job-row').count()) === JOBS, {
      what: `${JOBS} rows rendered`,
    });
    await frames(page);
    await startRecorder(page);
    writeFileSync(go, '');

    await waitFor(async () => (await finalsShown(page, REPORTS)) === JOBS, {
      timeoutMs: 30_000,
      intervalMs: 50,
      what: "every job's final report on screen",
    });
    await waitAttr(page.getByTestId('batch-detail'), 'data-state', 'completed');
    const shown = await recorded(page);
    const times = new Map<string, number[]>();
    for (const job of await server.jobsOf(batchId))
      times.set(job.id, (job.result as { times: number[] }).times);
    const result = latency(times, shown);
    expect(result).toMatchObject({ jobs: JOBS, finalsShown: JOBS, missed: 0, backwards: 0 });
    expect(result.covered).toBe(JOBS * REPORTS);
    for (const [id, s] of Object.entries(shown)) {
      // Values rise in order and end at 100.
      expect(s.progress.at(-1), id).toBe(100);
      const ks = s.messages.map(([k]) => k);
      expect(ks, id).toEqual([...ks].sort((a, b) => a - b));
    }
  });
});
