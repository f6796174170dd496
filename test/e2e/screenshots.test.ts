/**
 * Screenshots of every view (Batches, New batch, Batch, Job, Jobs) at 1280 and 390 px,
 * light and dark, kept in test-results/e2e/ as test output. Each view is also checked to
 * fit 390 px without sideways scrolling, and to change its background in dark mode.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../support/helpers.ts';
import { e2eSuite, screenshots } from './support/browser.ts';
import { live, waitAttr } from './support/page.ts';
import { KilnServer } from './support/server.ts';

e2eSuite('screenshots of every view', (browser) => {
  const server = new KilnServer();
  let done = '';
  let running = '';
  let failedJob = '';
  const release = () => join(server.dir, 'release');
  beforeAll(async () => {
    await server.start();
    done = await server.createBatch({
      name: 'curricula',
      jobs: ['math', 'science', 'history'].map((subject) => ({
        type: 'curriculum',
        name: `${subject}-4`,
        params: { subject, grade: 4, paceMs: 0 },
      })),
    });
    running = await server.createBatch({
      name: 'still running',
      jobs: [
        ...['a', 'b', 'c'].map((label) => ({
          type: 'e2e.steps',
          name: label,
          params: { label, hang: 'always', until: release() },
        })),
        {
          type: 'e2e.steps',
          name: 'broken',
          params: { label: 'broken', steps: 1, everyMs: 0, fail: 'always' },
        },
      ],
    });
    await waitFor(
      async () => {
        const [a, b] = [await server.batch(done), await server.batch(running)];
        return a.state === 'completed' && b.counts.failed === 1 && b.counts.running === 3;
      },
      { what: 'one batch done, one running with a failure' },
    );
    failedJob = (await server.jobsOf(running)).find((j) => j.state === 'failed')!.id;
  });
  afterAll(async () => {
    writeFileSync(release(), '');
    await server.cleanup();
  });

  const views: [string, () => string, string][] = [
    ['batches', () => '/', 'batch-row'],
    ['new-batch', () => '/batches/new', 'create-batch'],
    ['batch', () => `/batches/${running}`, 'job-row'],
    ['batch-completed', () => `/batches/${done}`, 'job-row'],
    ['job', () => `/jobs/${failedJob}`, 'job-error'],
    ['jobs', () => '/jobs', 'job-row'],
  ];

  it.each(views)('%s', async (view, path, ready) => {
    const { page } = await browser.page();
    await page.goto(`${server.url}${path()}`);
    await live(page);
    await page.getByTestId(ready).first().waitFor();
    if (view === 'new-batch') {
      await page.getByTestId('source-template').click();
      await page.getByTestId('template-select').selectOption('e2e-grid');
      await page.getByTestId('grid-preview-count').waitFor();
    }
    if (view === 'job') await waitAttr(page.getByTestId('job-detail'), 'data-state', 'failed');
    const shots = await screenshots(page, view);
    for (const s of shots.filter((s) => s.width === 390))
      expect(s.overflowPx, `${view} at 390 px, ${s.scheme}: sideways overflow`).toBeLessThanOrEqual(
        1,
      );
    const light = shots.find((s) => s.width === 1280 && s.scheme === 'light')!;
    const dark = shots.find((s) => s.width === 1280 && s.scheme === 'dark')!;
    expect(dark.background, `${view}: dark mode changes the background`).not.toBe(light.background);
  });
});
