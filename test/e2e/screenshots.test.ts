/**
 * Screenshots of every view (Batches, New batch, Batch, Job: a failed one, and a
 * completed one with its result and its artifacts' previews open, Jobs) at 1280 and
 * 390 px, light and dark, kept in test-results/e2e/ as test output. Each view is also
 * checked to fit 390 px without sideways scrolling, and to change its background in dark
 * mode. At 390 px the Batch and Jobs views' rows keep every part (icon, bar, message,
 * attempt, heartbeat age) on screen, on two lines, each row clear of the next.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../support/helpers.ts';
import { e2eSuite, frames, screenshots } from './support/browser.ts';
import { live, waitAttr } from './support/page.ts';
import { KilnServer } from './support/server.ts';

/** What a row's height is read through in the page (the project compiles without lib.dom). */
interface PageBox {
  getBoundingClientRect(): { height: number };
}

e2eSuite('screenshots of every view', (browser) => {
  const server = new KilnServer();
  let done = '';
  let running = '';
  let failedJob = '';
  let completedJob = '';
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
    // A completed job with a result and HTML artifacts, for the Job view's JSON viewer
    // and previews.
    const deck = await server.createBatch({
      name: 'a deck',
      jobs: [
        {
          type: 'presentation',
          name: 'kiln deck',
          params: {
            title: 'Kiln',
            slides: [
              { title: 'Jobs', body: 'Long background jobs, with live progress.' },
              { title: 'Batches', body: 'Named groups of jobs, from a template over a grid.' },
            ],
            paceMs: 0,
          },
        },
      ],
    });
    await waitFor(
      async () => {
        const [a, b, c] = [
          await server.batch(done),
          await server.batch(running),
          await server.batch(deck),
        ];
        return (
          a.state === 'completed' &&
          b.counts.failed === 1 &&
          b.counts.running === 3 &&
          c.state === 'completed'
        );
      },
      { what: 'two batches done, one running with a failure' },
    );
    failedJob = (await server.jobsOf(running)).find((j) => j.state === 'failed')!.id;
    completedJob = (await server.jobsOf(deck))[0]!.id;
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
    ['job-completed', () => `/jobs/${completedJob}`, 'artifact-row'],
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
    if (view === 'job-completed') {
      await waitAttr(page.getByTestId('job-detail'), 'data-state', 'completed');
      await page.getByTestId('job-result').locator('.json-node').first().waitFor();
      // deck.html and the two slides listed; the deck previewed inline (a sandboxed iframe).
      await waitFor(async () => (await page.getByTestId('artifact-row').count()) === 3, {
        what: 'three artifacts',
      });
      const deck = page.locator('[data-testid="artifact-row"][data-name="deck.html"]');
      await deck.getByTestId('artifact-preview').click();
      await deck.locator('iframe').contentFrame().locator('h1').waitFor();
    }
    const shots = await screenshots(page, view, { tall: view === 'job-completed' });
    for (const s of shots.filter((s) => s.width === 390))
      expect(s.overflowPx, `${view} at 390 px, ${s.scheme}: sideways overflow`).toBeLessThanOrEqual(
        1,
      );
    const light = shots.find((s) => s.width === 1280 && s.scheme === 'light')!;
    const dark = shots.find((s) => s.width === 1280 && s.scheme === 'dark')!;
    expect(dark.background, `${view}: dark mode changes the background`).not.toBe(light.background);
  });

  it.each([
    ['batch', () => `/batches/${running}`],
    ['jobs', () => `/jobs?batchId=${running}`],
  ])('%s at 390 px: each row shows all its parts, on two lines, rows apart', async (_, path) => {
    // Opened wide, then narrowed: the rows' height follows the width without a reload.
    const { page } = await browser.page();
    await page.goto(`${server.url}${path()}`);
    await live(page);
    const runningRows = page.locator('[data-testid="job-row"][data-state="running"]');
    await waitFor(async () => (await runningRows.count()) === 3, { what: 'three running rows' });
    await page.setViewportSize({ width: 390, height: 844 });
    await waitFor(
      async () => {
        const boxes = await page
          .getByTestId('job-row')
          .evaluateAll((rows) =>
            rows.map((r) => (r as unknown as PageBox).getBoundingClientRect().height),
          );
        return boxes.length === 4 && boxes.every((h) => h > 50);
      },
      { what: 'the rows on two lines' },
    );
    await frames(page);
    const inside = (
      part: { x: number; y: number; width: number; height: number } | null,
      row: { y: number; height: number },
      what: string,
    ) => {
      expect(part, what).not.toBeNull();
      expect(part!.width, `${what}: width`).toBeGreaterThan(0);
      expect(part!.height, `${what}: height`).toBeGreaterThan(0);
      expect(part!.x, `${what}: left edge in the viewport`).toBeGreaterThanOrEqual(0);
      expect(part!.x + part!.width, `${what}: right edge in the viewport`).toBeLessThanOrEqual(390);
      // Inside its own row: nothing spills over the next one.
      expect(part!.y, `${what}: top in its row`).toBeGreaterThanOrEqual(row.y - 0.5);
      expect(part!.y + part!.height, `${what}: bottom in its row`).toBeLessThanOrEqual(
        row.y + row.height + 0.5,
      );
    };
    for (const row of await runningRows.all()) {
      const box = (await row.boundingBox())!;
      const label = (await row.getAttribute('data-job-id')) ?? 'row';
      await waitFor(
        async () => /step 1\//.test((await row.getByTestId('job-message').textContent()) ?? ''),
        {
          what: `${label}: its progress message`,
        },
      );
      expect(await row.getByTestId('job-heartbeat-age').textContent()).toMatch(/ago$/);
      for (const part of [
        'job-status-icon',
        'job-progress',
        'job-message',
        'job-attempt',
        'job-heartbeat-age',
      ])
        inside(await row.getByTestId(part).boundingBox(), box, `${label} ${part}`);
    }
    // Rows one under the other, none over the next.
    const rows = (
      await Promise.all((await page.getByTestId('job-row').all()).map((r) => r.boundingBox()))
    )
      .map((b) => b!)
      .sort((a, b) => a.y - b.y);
    for (let i = 1; i < rows.length; i++)
      expect(rows[i]!.y, `row ${i} starts below row ${i - 1}`).toBeGreaterThanOrEqual(
        rows[i - 1]!.y + rows[i - 1]!.height - 0.5,
      );
  });
});
