/**
 * docs/SECURITY.md's webhook promise that the other webhook tests leave out: a redirect
 * is never followed. A receiver that answers 3xx could otherwise send Kiln's POST on to
 * an address the target check refused (an internal service, a metadata endpoint). Real
 * parts on this project's store: a worker ends the batch, the dispatcher delivers to a
 * real receiver on 127.0.0.1 (allowed explicitly), and that receiver redirects to a
 * second one.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { startServices } from '../../src/services/index.ts';
import { waitFor } from '../support/helpers.ts';
import { useKiln } from '../support/library.ts';
import { testJob } from '../support/test-jobs.ts';
import { startReceiver } from '../support/webhook-receiver.ts';

const open = useKiln();
const closing: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});

/** A receiver that answers every POST with a redirect to `location`, recording each. */
async function redirector(location: string, status: number) {
  const seen: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    seen.push(req);
    req.resume();
    req.on('end', () => res.writeHead(status, { location }).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closing.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, seen };
}

it('a redirect is not followed: a 3xx is a failed delivery and its Location gets nothing', async () => {
  const { kiln, work } = await open({ jobs: [testJob], allowPrivateWebhooks: true });
  const target = await startReceiver();
  closing.push(() => target.close());
  const s = startServices(
    { kiln, log: () => {} },
    { webhooks: { pollMs: 100, noticeEveryMs: 20, timeoutMs: 2_000 } },
  );
  closing.push(() => s.stop());
  work();
  for (const status of [302, 307, 308]) {
    const hop = await redirector(target.url, status);
    const batch = await kiln.batches.create({
      webhook: { url: hop.url },
      jobs: [{ type: 'test', params: {} }],
    });
    const failed = await waitFor(
      async () => {
        const b = await kiln.batches.get(batch.id);
        return b?.webhook?.lastError ? b : null;
      },
      { what: `the ${status} delivery to fail` },
    );
    expect(failed.webhook!.lastError).toBe(`answered HTTP ${status}`);
    expect(failed.webhook!.state).toBe('pending');
    expect(hop.seen.length).toBeGreaterThanOrEqual(1);
  }
  // Had any delivery been followed, it would have reached the target before its
  // attempt was settled as failed.
  expect(target.received).toEqual([]);
});
