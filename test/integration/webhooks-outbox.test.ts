/**
 * The webhook outbox under concurrency and crashes, on both stores: several dispatchers
 * record each batch end exactly once and send each delivery once; a dispatcher process
 * killed (SIGKILL) while its receiver holds the request open is replaced by a new
 * process that delivers it again after the lease: at least once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.ts';
import { Kiln } from '../../src/index.ts';
import { WebhookDispatcher } from '../../src/webhooks/dispatcher.ts';
import { verifySignature } from '../../src/webhooks/signature.ts';
import { spawnScript, supportFile, waitFor } from '../support/helpers.ts';
import { FAST_WORKER } from '../support/library.ts';
import { newTestStore, type TestStore } from '../support/stores.ts';
import { testJob } from '../support/test-jobs.ts';
import { startReceiver } from '../support/webhook-receiver.ts';

const SECRET = 'outbox-secret';
const cleanups: ((failed: boolean) => Promise<void> | void)[] = [];
afterEach(async (context) => {
  const failed = context.task.result?.state === 'fail';
  for (const c of cleanups.splice(0).reverse()) await c(failed);
});

async function setup(): Promise<{ store: TestStore; open: () => Promise<Kiln> }> {
  const store = newTestStore();
  cleanups.push((failed) => store.cleanup(failed));
  const open = async () => {
    const kiln = await Kiln.open({
      store: store.url,
      jobs: [testJob],
      webhookSecret: SECRET,
      allowPrivateWebhooks: true,
    });
    cleanups.push(() => kiln.close());
    return kiln;
  };
  return { store, open };
}

async function finishedBatches(kiln: Kiln, url: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const b = await kiln.batches.create({
      name: `b${i}`,
      webhook: { url },
      jobs: [{ type: 'test', params: { value: i } }],
    });
    ids.push(b.id);
  }
  const worker = kiln.work(FAST_WORKER);
  await waitFor(
    async () => {
      const states = await Promise.all(ids.map(async (id) => (await kiln.batches.get(id))?.state));
      return states.every((s) => s === 'completed');
    },
    { what: 'every batch completed' },
  );
  await worker.stop();
  return ids;
}

describe('webhook outbox', () => {
  it('records each end once and sends each delivery once with two dispatchers racing', async () => {
    const { store, open } = await setup();
    const [a, b] = [await open(), await open()];
    const r = await startReceiver();
    cleanups.push(() => r.close());
    const ids = await finishedBatches(a, r.url, 12);

    // The store's own race first: ten attempts from two connections at one ended batch.
    const extra = await a.batches.create({
      webhook: { url: r.url },
      jobs: [{ type: 'test', params: {} }],
    });
    await a.jobs.cancel((await a.jobs.list({ batchId: extra.id })).items[0]!.id);
    const recorded = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).store.recordBatchEnd(extra.id, newId())),
    );
    expect(recorded.filter(Boolean)).toHaveLength(1);

    const log = () => {};
    const dispatchers = [
      new WebhookDispatcher(a.store, a.webhooks, log),
      new WebhookDispatcher(b.store, b.webhooks, log),
      new WebhookDispatcher(a.store, a.webhooks, log, { concurrency: 2 }),
      new WebhookDispatcher(b.store, b.webhooks, log, { concurrency: 3 }),
    ];
    await Promise.all(dispatchers.map((d) => d.pass()));
    await Promise.all(dispatchers.map((d) => d.pass()));

    const rows = await store.query<{ batch_id: string; n: number }>(
      'SELECT batch_id, count(*) AS n FROM webhook_deliveries GROUP BY batch_id',
    );
    expect(rows.map((row) => row.batch_id).sort()).toEqual([...ids, extra.id].sort());
    expect(rows.every((row) => Number(row.n) === 1)).toBe(true);
    expect(r.received).toHaveLength(13);
    const sent = r.received.map((p) => JSON.parse(p.body).batch.id as string);
    expect(new Set(sent).size).toBe(13);
    const cancelled = r.received.find((p) => JSON.parse(p.body).batch.id === extra.id)!;
    expect(JSON.parse(cancelled.body).batch.state).toBe('cancelled');
    for (const id of ids) {
      expect((await a.batches.get(id))!.webhook).toMatchObject({ state: 'delivered', attempts: 1 });
    }
  });

  it('a dispatcher killed mid-delivery: a new process delivers it after the lease (at least once)', async () => {
    const { store, open } = await setup();
    const kiln = await open();
    // The first POST is held open until its sender dies; later ones are answered.
    const r = await startReceiver((n) => (n === 0 ? 'hold' : 200));
    cleanups.push(() => r.close());
    const options = JSON.stringify({
      secret: SECRET,
      webhooks: { pollMs: 100, noticeEveryMs: 20, timeoutMs: 3_000, leaseMs: 4_000 },
    });
    const first = spawnScript(supportFile('services-process.ts'), [store.url, options]);
    cleanups.push(() => {
      first.child.kill('SIGKILL');
    });
    await first.ready;

    const worker = kiln.work(FAST_WORKER);
    cleanups.push(() => worker.stop(50));
    const batch = await kiln.batches.create({
      webhook: { url: r.url },
      jobs: [{ type: 'test', params: {} }],
    });
    await waitFor(() => r.received.length === 1, { what: 'the first POST' });
    first.child.kill('SIGKILL');
    expect(await first.exited).toMatchObject({ signal: 'SIGKILL' });
    const [row] = await store.query<{ state: string; attempts: number }>(
      'SELECT state, attempts FROM webhook_deliveries WHERE batch_id = ?',
      batch.id,
    );
    expect(row).toMatchObject({ state: 'pending', attempts: 1 });

    const second = spawnScript(supportFile('services-process.ts'), [store.url, options]);
    cleanups.push(async () => {
      second.child.kill('SIGTERM');
      await second.exited;
    });
    await second.ready;
    const delivered = await waitFor(
      async () => {
        const b = await kiln.batches.get(batch.id);
        return b?.webhook?.state === 'delivered' ? b : null;
      },
      { what: 'the delivery after the restart' },
    );
    expect(delivered.webhook!.attempts).toBe(2);
    expect(r.received).toHaveLength(2);
    const [held, redelivered] = r.received;
    expect(redelivered!.headers['kiln-delivery']).toBe(held!.headers['kiln-delivery']);
    expect(redelivered!.body).toBe(held!.body);
    expect(
      verifySignature(SECRET, redelivered!.headers['kiln-signature'] as string, redelivered!.body),
    ).toBe(true);
    // Not before the killed attempt's lease ran out.
    expect(redelivered!.atMs - held!.atMs).toBeGreaterThanOrEqual(3_500);
  });
});
