/**
 * The New batch form in real Chromium against a real `kiln serve`: a batch from a
 * template (a param changed, grid axes set, the preview counted) created, then watched
 * live on its page to completion without a reload; an invalid param shown inline with
 * nothing created; and the main actions by keyboard alone. The Batch page's throughput
 * chart covers the batch's run, with a time axis, while it runs and once it ended.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../support/helpers.ts';
import { e2eSuite } from './support/browser.ts';
import {
  countOf,
  focusedTestId,
  live,
  marker,
  setMarker,
  tabTo,
  waitAttr,
  waitEveryRowCompleted,
  waitText,
} from './support/page.ts';
import { KilnServer } from './support/server.ts';

/** A batch's page, not the New batch form's. */
const batchPage = (url: URL) =>
  /^\/batches\/[^/]+$/.test(url.pathname) && url.pathname !== '/batches/new';

e2eSuite('the New batch form', (browser) => {
  const server = new KilnServer();
  beforeAll(() => server.start());
  afterAll(() => server.cleanup());

  it('creates a batch from a template through the form and shows it run live to completion', async () => {
    const { page } = await browser.page();
    const release = join(server.dir, 'release-form');
    await page.goto(`${server.url}/batches/new`);
    await page.getByTestId('source-template').click();
    await page.getByTestId('template-select').selectOption('e2e-grid');
    // Params: the template's everyMs changed; the jobs hold after their first step until
    // the test has seen them running on the page.
    await page.getByTestId('param-everyMs').fill('30');
    await page.getByTestId('param-hang').selectOption('first-attempt');
    await page.getByTestId('param-until').fill(release);
    // Grid: 3 labels × 2 step counts.
    await page.getByTestId('grid-axis-label').fill('alpha, beta, gamma');
    await page.getByTestId('grid-axis-steps').fill('2, 3');
    await waitText(page.getByTestId('grid-preview-count'), '6');
    expect(await page.getByTestId('grid-preview-row').count()).toBe(6);
    await page.getByTestId('batch-name').fill('made by the form');
    // The chart's reads fail until the page has said so; then it reads again by itself.
    let refusing = true;
    await page.route(/\/api\/batches\/[^/]+\/timeline/, (route) =>
      refusing
        ? route.fulfill({ status: 503, contentType: 'application/json', body: '{}' })
        : route.continue(),
    );
    await page.getByTestId('create-batch').click();

    await page.waitForURL(batchPage);
    const batchId = new URL(page.url()).pathname.split('/').pop()!;
    // What the form sent, as the server has it.
    const batch = await server.batch(batchId);
    expect(batch).toMatchObject({ name: 'made by the form', template: 'e2e-grid' });
    expect(batch.counts.total).toBe(6);
    const jobs = await server.jobsOf(batchId);
    expect(
      jobs
        .map((j) => `${j.params.label}/${j.params.steps}/${j.params.everyMs}/${j.params.hang}`)
        .sort(),
    ).toEqual(
      ['alpha', 'beta', 'gamma'].flatMap((l) => [
        `${l}/2/30/first-attempt`,
        `${l}/3/30/first-attempt`,
      ]),
    );

    await setMarker(page, 'no reload');
    await live(page);
    // Every row running, its bar past 0 and its message the first step's: live data.
    await waitFor(
      async () => {
        const rows = page.getByTestId('job-row');
        if ((await rows.count()) !== 6) return false;
        for (const row of await rows.all()) {
          if ((await row.getAttribute('data-state')) !== 'running') return false;
          const now = Number(await row.getByTestId('job-progress').getAttribute('aria-valuenow'));
          if (!(now > 0 && now < 100)) return false;
          if (!/step 1\//.test((await row.getByTestId('job-message').textContent()) ?? ''))
            return false;
        }
        return true;
      },
      { timeoutMs: 20_000, what: 'six running rows with progress' },
    );
    expect(await countOf(page, 'batch-count-running')).toBe(6);
    // The throughput chart spans the run so far (nothing finished yet): bars from the
    // batch's start to now, a time axis under them, a summary as its accessible name.
    const chart = page.getByTestId('throughput-chart');
    await page.getByTestId('throughput-error').waitFor();
    refusing = false;
    await page.getByTestId('throughput-error').waitFor({ state: 'detached', timeout: 20_000 });
    await waitFor(async () => (await chart.getByTestId('throughput-bucket').count()) > 1, {
      what: 'a chart of more than one bar',
    });
    expect(await chart.getByTestId('throughput-axis').textContent()).toMatch(
      /^\d{1,2}:\d{2}:\d{2}.*\d+ s a bar.*now$/,
    );
    expect(await chart.getByRole('img').getAttribute('aria-label')).toMatch(
      /^Throughput: 0 jobs finished in the last \d+ s, in bars of \d+ s/,
    );
    writeFileSync(release, '');

    await waitAttr(page.getByTestId('batch-detail'), 'data-state', 'completed');
    await waitAttr(page.getByTestId('batch-progress'), 'aria-valuenow', '100');
    await waitText(page.getByTestId('batch-count-completed'), '6');
    expect(await countOf(page, 'batch-count-total')).toBe(6);
    for (const key of ['pending', 'running', 'failed'])
      expect(await countOf(page, `batch-count-${key}`), key).toBe(0);
    await waitEveryRowCompleted(page);
    const messages = await page.getByTestId('job-message').allTextContents();
    expect(messages.map((m) => m.trim()).sort()).toEqual(
      ['alpha', 'alpha', 'beta', 'beta', 'gamma', 'gamma'].map((l) => `${l} done`),
    );
    // Ended: the chart counts the six finishes, its axis ends at the batch's finish.
    await waitFor(
      async () =>
        /^6 jobs finished over /.test((await chart.locator('figcaption').textContent()) ?? ''),
      { what: 'the chart counting six finished jobs' },
    );
    expect(await chart.getByTestId('throughput-bucket').count()).toBeGreaterThan(1);
    expect(await chart.getByTestId('throughput-axis').textContent()).toMatch(
      /\d{1,2}:\d{2}:\d{2}\s*(AM|PM)?$/,
    );
    expect(await marker(page)).toBe('no reload');
    expect((await server.batch(batchId)).state).toBe('completed');
  });

  it('shows an invalid param inline and creates nothing', async () => {
    const { page } = await browser.page();
    const posts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/batches')
        posts.push(r.url());
    });
    const before = (await server.batches()).length;
    await page.goto(`${server.url}/batches/new`);
    await page.getByTestId('source-template').click();
    await page.getByTestId('template-select').selectOption('e2e-grid');
    await page.getByTestId('param-everyMs').fill('20000'); // the schema's maximum is 10000
    await page.getByTestId('param-everyMs').blur();
    await page.getByTestId('param-error-everyMs').waitFor();
    expect(await page.getByTestId('param-error-everyMs').textContent()).toMatch(
      /10000|10,000|max|less|≤|<=/i,
    );
    // A disabled button ignores the click; an enabled one must refuse to send.
    await page.getByTestId('create-batch').click({ force: true });
    await page.getByTestId('param-error-everyMs').waitFor();
    expect(new URL(page.url()).pathname).toBe('/batches/new');
    expect(posts).toEqual([]);
    expect((await server.batches()).length).toBe(before);

    // Fixing it clears the error.
    await page.getByTestId('param-everyMs').fill('40');
    await page.getByTestId('param-error-everyMs').waitFor({ state: 'detached' });
  });

  it('reaches and uses the main actions by keyboard', async () => {
    const { page } = await browser.page();
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${server.url}/`);
    await page.getByTestId('nav-new-batch').waitFor();
    // Batches -> New batch by Tab and Enter.
    await tabTo(page, 'nav-new-batch');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/batches\/new$/);
    // Pick the template with the arrow keys, then create with Enter.
    await tabTo(page, 'template-select');
    await waitFor(
      async () => {
        if ((await page.getByTestId('template-select').inputValue()) === 'e2e-grid') return true;
        await page.keyboard.press('ArrowDown');
        return false;
      },
      { timeoutMs: 10_000, what: 'the template chosen by keyboard' },
    );
    await page.getByTestId('grid-preview-count').waitFor();
    await tabTo(page, 'create-batch');
    await page.keyboard.press('Enter');
    await page.waitForURL(batchPage);
    const created = new URL(page.url()).pathname.split('/').pop()!;
    expect((await server.batch(created)).template).toBe('e2e-grid');

    // A batch that holds: pause, resume and cancel it by keyboard on its page.
    const release = join(server.dir, 'release-keyboard');
    const held = await server.createBatch({
      name: 'keyboard',
      jobs: [1, 2].map((i) => ({
        type: 'e2e.steps',
        params: { label: `k${i}`, hang: 'always', until: release },
      })),
    });
    await page.goto(`${server.url}/batches/${held}`);
    await live(page);
    await waitAttr(page.getByTestId('batch-detail'), 'data-state', 'running');
    await tabTo(page, 'action-pause');
    await page.keyboard.press('Enter');
    await waitFor(async () => (await server.batch(held)).state === 'paused', { what: 'paused' });
    await waitAttr(page.getByTestId('batch-detail'), 'data-state', 'paused');
    await tabTo(page, 'action-resume');
    await page.keyboard.press('Enter');
    await waitFor(async () => (await server.batch(held)).state === 'running', { what: 'resumed' });
    await tabTo(page, 'action-cancel');
    expect(await focusedTestId(page)).toBe('action-cancel');
    await page.keyboard.press('Enter');
    await waitFor(async () => (await server.batch(held)).state === 'cancelled', {
      what: 'cancelled',
    });
    await waitAttr(page.getByTestId('batch-detail'), 'data-state', 'cancelled');
    writeFileSync(release, '');
  });
});
