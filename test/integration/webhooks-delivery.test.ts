/**
 * Batch-completion webhooks end to end, on both stores: a real worker finishes a batch,
 * the dispatcher records its end and POSTs it to a real receiver on 127.0.0.1 (allowed
 * explicitly), signed; failures are retried with backoff; a retried batch notifies again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Batch, Kiln } from '../../src/index.ts';
import { type Services, startServices } from '../../src/services/index.ts';
import type { DispatcherOptions } from '../../src/webhooks/dispatcher.ts';
import { verifySignature } from '../../src/webhooks/signature.ts';
import { waitFor } from '../support/helpers.ts';
import { useKiln } from '../support/library.ts';
import { testJob } from '../support/test-jobs.ts';
import { type Receiver, startReceiver } from '../support/webhook-receiver.ts';

const SECRET = 'test-secret-1';
/** Small intervals so a test sees retries in milliseconds, not seconds. */
const FAST: DispatcherOptions = {
  pollMs: 100,
  noticeEveryMs: 20,
  timeoutMs: 2_000,
  retry: { baseMs: 150, maxMs: 1_000, jitter: 0.5 },
};

const open = useKiln();
const closing: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});

async function receiver(answer?: (n: number) => number | 'hold'): Promise<Receiver> {
  const r = await startReceiver(answer);
  closing.push(() => r.close());
  return r;
}

function services(kiln: Kiln, options: DispatcherOptions = FAST): Services {
  const s = startServices({ kiln, log: () => {} }, { webhooks: options });
  closing.push(() => s.stop());
  return s;
}

async function webhookOf(kiln: Kiln, id: string, state: string): Promise<Batch> {
  return waitFor(
    async () => {
      const b = await kiln.batches.get(id);
      return b?.webhook?.state === state ? b : null;
    },
    { what: `batch ${id}'s webhook ${state}` },
  );
}

describe('batch-completion webhooks', () => {
  it('POSTs a signed summary when the batch ends; a tampered body or an old time fails the check', async () => {
    const { kiln, work } = await open({
      jobs: [testJob],
      webhookSecret: SECRET,
      allowPrivateWebhooks: true,
    });
    const r = await receiver();
    services(kiln);
    const batch = await kiln.batches.create({
      name: 'nightly',
      metadata: { owner: 'ops' },
      webhook: { url: r.url },
      jobs: [
        { type: 'test', params: { value: 1 } },
        { type: 'test', params: { value: 2 } },
      ],
    });
    expect(batch.webhook).toMatchObject({ url: r.url, state: 'waiting', attempts: 0 });
    work();
    const done = await webhookOf(kiln, batch.id, 'delivered');
    expect(r.received).toHaveLength(1);
    const [post] = r.received;
    expect(post!.headers['content-type']).toBe('application/json');
    expect(post!.headers['kiln-event']).toBe('batch.finished');
    expect(post!.headers['kiln-delivery']).toBe(done.webhook!.deliveryId);
    const signature = post!.headers['kiln-signature'] as string;
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifySignature(SECRET, signature, post!.body)).toBe(true);
    expect(await kiln.webhooks.verify(signature, post!.body)).toBe(true);
    expect(verifySignature(SECRET, signature, post!.body.replace('completed', 'failed'))).toBe(
      false,
    );
    expect(verifySignature('another secret', signature, post!.body)).toBe(false);
    const t = Number(/t=(\d+)/.exec(signature)![1]);
    expect(verifySignature(SECRET, signature, post!.body, { nowSeconds: t + 301 })).toBe(false);

    const body = JSON.parse(post!.body);
    expect(body).toMatchObject({
      event: 'batch.finished',
      deliveryId: done.webhook!.deliveryId,
      batch: {
        id: batch.id,
        name: 'nightly',
        metadata: { owner: 'ops' },
        state: 'completed',
        counts: { total: 2, completed: 2, failed: 0, pending: 0, running: 0 },
        usage: { tokens: 0, costUsd: 0 },
        link: `/api/batches/${batch.id}`,
      },
    });
    expect(new Date(body.batch.finishedAt).getTime()).toBe(done.finishedAt!.getTime());
    expect(done.webhook).toMatchObject({ state: 'delivered', attempts: 1, lastError: null });
    expect(done.webhook!.deliveredAt).toBeInstanceOf(Date);
  });

  it('retries an answer that is not 2xx with backoff, the same delivery and body each time', async () => {
    const { kiln, work } = await open({
      jobs: [testJob],
      webhookSecret: SECRET,
      allowPrivateWebhooks: true,
    });
    const r = await receiver((n) => (n < 2 ? 500 : 200));
    services(kiln);
    work();
    const batch = await kiln.batches.create({
      webhook: { url: r.url },
      jobs: [{ type: 'test', params: {} }],
    });
    const failing = await waitFor(async () => {
      const b = await kiln.batches.get(batch.id);
      return b?.webhook?.state === 'pending' && b.webhook.attempts >= 1 && b.webhook.lastError
        ? b
        : null;
    });
    expect(failing.webhook!.lastError).toContain('500');
    const done = await webhookOf(kiln, batch.id, 'delivered');
    expect(done.webhook).toMatchObject({ attempts: 3, lastError: null });
    expect(r.received).toHaveLength(3);
    expect(new Set(r.received.map((p) => p.headers['kiln-delivery'])).size).toBe(1);
    expect(new Set(r.received.map((p) => p.body)).size).toBe(1);
    for (const p of r.received) {
      expect(verifySignature(SECRET, p.headers['kiln-signature'] as string, p.body)).toBe(true);
    }
    // Backoff: 150 ms then 300 ms, each jittered down by at most half.
    expect(r.received[1]!.atMs - r.received[0]!.atMs).toBeGreaterThanOrEqual(70);
    expect(r.received[2]!.atMs - r.received[1]!.atMs).toBeGreaterThanOrEqual(145);
  });

  it('gives up past the limit and shows the delivery dead', async () => {
    const { kiln, work } = await open({
      jobs: [testJob],
      webhookSecret: SECRET,
      allowPrivateWebhooks: true,
    });
    const r = await receiver(() => 503);
    services(kiln, { ...FAST, retry: { baseMs: 50, maxMs: 100, jitter: 0, giveUpAfterMs: 300 } });
    work();
    const batch = await kiln.batches.create({
      webhook: { url: r.url },
      jobs: [{ type: 'test', params: {} }],
    });
    const dead = await webhookOf(kiln, batch.id, 'dead');
    expect(dead.webhook!.lastError).toContain('503');
    expect(dead.webhook!.nextAttemptAt).toBeNull();
    expect(dead.webhook!.attempts).toBe(r.received.length);
    expect(r.received.length).toBeGreaterThanOrEqual(2);
  });

  it("a template's webhook is inherited; retrying a notified batch notifies its next end again", async () => {
    const { kiln, work } = await open({
      jobs: [testJob],
      webhookSecret: SECRET,
      allowPrivateWebhooks: true,
    });
    const r = await receiver();
    services(kiln);
    work();
    await kiln.templates.save({
      name: 'flaky',
      type: 'test',
      params: { action: 'throw-final' },
      webhook: { url: r.url },
    });
    const batch = await kiln.batches.create({ template: 'flaky' });
    expect(batch.webhook?.url).toBe(r.url);
    const first = await webhookOf(kiln, batch.id, 'delivered');
    expect(JSON.parse(r.received[0]!.body).batch.state).toBe('failed');

    const retried = await kiln.batches.retryFailed(batch.id);
    expect(retried.webhook).toMatchObject({ state: 'waiting', deliveryId: null });
    await waitFor(() => r.received.length === 2, { what: 'the second end' });
    const second = await webhookOf(kiln, batch.id, 'delivered');
    expect(second.webhook!.deliveryId).not.toBe(first.webhook!.deliveryId);
    expect(r.received[1]!.headers['kiln-delivery']).toBe(second.webhook!.deliveryId);
    expect(JSON.parse(r.received[1]!.body).batch.counts.failed).toBe(1);
  });

  it('without a configured secret, generates one once and keeps it in the store', async () => {
    const { kiln, url, work } = await open({ jobs: [testJob], allowPrivateWebhooks: true });
    const secret = await kiln.webhooks.secret();
    expect(secret).toMatch(/^whsec_[\w-]{43}$/);
    const { Kiln } = await import('../../src/index.ts');
    const other = await Kiln.open({ store: url });
    closing.push(() => other.close());
    expect(await other.webhooks.secret()).toBe(secret);

    const r = await receiver();
    services(kiln);
    work();
    await kiln.batches.create({ webhook: { url: r.url }, jobs: [{ type: 'test', params: {} }] });
    await waitFor(() => r.received.length === 1);
    const post = r.received[0]!;
    expect(verifySignature(secret, post.headers['kiln-signature'] as string, post.body)).toBe(true);
  });
});
