/**
 * Acting on jobs and batches from their pages: cancel a running job and retry it from
 * the Job page; retry the failed jobs from the Batch page; download the batch's ZIP
 * (Playwright's download event) and check results.json and the artifacts in it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../support/helpers.ts';
import { e2eSuite } from './support/browser.ts';
import { countOf, live, text, unzipDownload, waitAttr, waitText } from './support/page.ts';
import { KilnServer } from './support/server.ts';

e2eSuite('job and batch actions', (browser) => {
  const server = new KilnServer();
  beforeAll(() => server.start());
  afterAll(() => server.cleanup());

  it('cancels a running job and retries it from the Job page', async () => {
    const { page } = await browser.page();
    page.on('dialog', (d) => void d.accept());
    const batchId = await server.createBatch({
      name: 'cancel and retry',
      // The first attempt hangs until cancelled; the retry runs through.
      jobs: [
        {
          type: 'e2e.steps',
          name: 'hanger',
          params: { label: 'hanger', hang: 'first-attempt', everyMs: 20 },
        },
      ],
    });
    const [job] = await server.jobsOf(batchId);
    await waitFor(async () => (await server.job(job!.id)).state === 'running', { what: 'running' });

    await page.goto(`${server.url}/jobs/${job!.id}`);
    await live(page);
    const detail = page.getByTestId('job-detail');
    await waitAttr(detail, 'data-state', 'running');
    await waitAttr(detail, 'data-attempt', '1');
    await page.getByTestId('log-line').first().waitFor();
    await page.getByTestId('action-cancel').click();
    await waitAttr(detail, 'data-state', 'cancelled');
    expect((await server.job(job!.id)).state).toBe('cancelled');

    await page.getByTestId('action-retry').click();
    await waitAttr(detail, 'data-state', 'completed');
    await waitAttr(detail, 'data-attempt', '2');
    expect(await server.job(job!.id)).toMatchObject({ state: 'completed', attempt: 2 });
    await waitAttr(page.getByTestId('job-progress'), 'aria-valuenow', '100');
    await waitText(page.getByTestId('job-message'), 'hanger done');
    // The result and the artifact, from the page.
    expect(await page.getByTestId('job-result').textContent()).toContain('hanger');
    await page.locator('[data-testid="artifact-row"][data-name="hanger.txt"]').waitFor();
  });

  it('retries the failed jobs from the Batch page, then downloads the ZIP', async () => {
    const { page } = await browser.page();
    page.on('dialog', (d) => void d.accept());
    const batchId = await server.createBatch({
      name: 'retry failed',
      jobs: ['ok', 'bad-1', 'bad-2'].map((label) => ({
        type: 'e2e.steps',
        name: label,
        params: { label, steps: 2, everyMs: 10, fail: label === 'ok' ? 'never' : 'first-attempt' },
      })),
    });
    await page.goto(`${server.url}/batches/${batchId}`);
    await live(page);
    const detail = page.getByTestId('batch-detail');
    await waitAttr(detail, 'data-state', 'failed');
    await waitText(page.getByTestId('batch-count-failed'), '2');
    expect(await countOf(page, 'batch-count-completed')).toBe(1);

    await page.getByTestId('action-retry-failed').click();
    await waitAttr(detail, 'data-state', 'completed');
    await waitText(page.getByTestId('batch-count-completed'), '3');
    expect(await countOf(page, 'batch-count-failed')).toBe(0);
    const attempts = Object.fromEntries(
      await Promise.all(
        (await page.getByTestId('job-row').all()).map(async (row) => [
          ((await row.getByTestId('job-message').textContent()) ?? '').trim(),
          await row.getAttribute('data-attempt'),
        ]),
      ),
    );
    expect(attempts).toEqual({ 'ok done': '1', 'bad-1 done': '2', 'bad-2 done': '2' });

    // The ZIP, as a browser downloads it.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('download-zip').click(),
    ]);
    const files = await unzipDownload(download);
    expect(Object.keys(files).sort()).toEqual([
      'artifacts/bad-1/bad-1.txt',
      'artifacts/bad-2/bad-2.txt',
      'artifacts/ok/ok.txt',
      'results.json',
    ]);
    expect(text(files['artifacts/bad-2/bad-2.txt'])).toBe('label=bad-2\nsteps=2\n');
    const results = JSON.parse(text(files['results.json'])) as {
      batch: { id: string; state: string; counts: { completed: number } };
      jobs: {
        name: string;
        state: string;
        attempt: number;
        result: { label: string };
        artifacts: { path: string }[];
      }[];
    };
    expect(results.batch).toMatchObject({
      id: batchId,
      state: 'completed',
      counts: { completed: 3 },
    });
    expect(
      results.jobs
        .map((j) => [j.name, j.state, j.attempt, j.result.label, j.artifacts.map((a) => a.path)])
        .sort(),
    ).toEqual([
      ['bad-1', 'completed', 2, 'bad-1', ['artifacts/bad-1/bad-1.txt']],
      ['bad-2', 'completed', 2, 'bad-2', ['artifacts/bad-2/bad-2.txt']],
      ['ok', 'completed', 1, 'ok', ['artifacts/ok/ok.txt']],
    ]);
  });
  it('the Jobs page shows jobs enqueued after it opened, on top, without a reload', async () => {
    const { page } = await browser.page();
    const before = await server.api<{ id: string }>('/api/jobs', {
      body: { type: 'e2e.steps', name: 'before', params: { label: 'before' } },
    });
    await page.goto(`${server.url}/jobs`);
    await live(page);
    await page.locator(`[data-testid="job-row"][data-job-id="${before.id}"]`).waitFor();
    const after = await server.api<{ id: string }>('/api/jobs', {
      body: { type: 'e2e.steps', name: 'after', params: { label: 'after' } },
    });
    const row = page.locator(`[data-testid="job-row"][data-job-id="${after.id}"]`);
    await row.waitFor();
    expect(await page.getByTestId('job-row').first().getAttribute('data-job-id')).toBe(after.id);
    // Shown once, though the stream and the page's read after its snapshot both have it.
    expect(await row.count()).toBe(1);
  });
});
