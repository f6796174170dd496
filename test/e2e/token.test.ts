/**
 * A server with a token: the dashboard asks for it (the token form), then works on the
 * session cookie alone: live data, and the ZIP download, which is a plain link.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { e2eSuite } from './support/browser.ts';
import { live, text, unzipDownload, waitAttr } from './support/page.ts';
import { KilnServer } from './support/server.ts';

const TOKEN = 'e2e-token-0123456789abcdef';

e2eSuite('a server with a token', (browser) => {
  const server = new KilnServer({ token: TOKEN });
  beforeAll(() => server.start());
  afterAll(() => server.cleanup());

  it('asks for the token, then the dashboard and its downloads work on the session cookie', async () => {
    const { page, context } = await browser.page();
    // Without the token the API refuses.
    expect((await fetch(`${server.url}/api/batches`)).status).toBe(401);
    await page.goto(`${server.url}/`);
    await page.getByTestId('token-input').fill(TOKEN);
    await page.getByTestId('token-submit').click();
    await page
      .getByTestId('batches-active')
      .or(page.getByTestId('batches-history'))
      .first()
      .waitFor();
    const cookies = await context.cookies(server.url);
    const session = cookies.find((c) => c.name === 'kiln_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(page.url()).not.toContain(TOKEN);

    // A batch made elsewhere appears live, and runs to its end on the page.
    const batchId = await server.createBatch({
      name: 'behind a token',
      jobs: ['t1', 't2'].map((label) => ({
        type: 'e2e.steps',
        name: label,
        params: { label, steps: 2, everyMs: 10 },
      })),
    });
    await page.locator(`[data-testid="batch-row"][data-batch-id="${batchId}"]`).waitFor();
    await page.goto(`${server.url}/batches/${batchId}`);
    await live(page);
    await waitAttr(page.getByTestId('batch-detail'), 'data-state', 'completed');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('download-zip').click(),
    ]);
    const files = await unzipDownload(download);
    expect(Object.keys(files).sort()).toEqual([
      'artifacts/t1/t1.txt',
      'artifacts/t2/t2.txt',
      'results.json',
    ]);
    expect(JSON.parse(text(files['results.json'])).batch.id).toBe(batchId);
  });
});
