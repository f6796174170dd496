/**
 * A batch's concurrency cap, on both stores: at most `concurrency` of its jobs run at
 * once over every worker process (three here, as test/guarantees/three-workers.test.ts
 * checks a capped type), a capped batch holds back neither other batches nor loose jobs,
 * and a batch cap and a per-type cap hold together. Sampled from the store while the
 * jobs run; every wait is for a condition.
 */
import { afterEach, expect, test } from 'vitest';
import { Kiln } from '../../src/index.ts';
import { guaranteeJobs } from '../guarantees/support/jobs.ts';
import { spawnWorkerProcess, teardown, testStore } from '../guarantees/support/processes.ts';
import { waitFor } from '../support/helpers.ts';
import { useKiln } from '../support/library.ts';
import { testJobs } from '../support/test-jobs.ts';

afterEach(teardown);
const openKiln = useKiln();

/** Samples `read` every few ms until stopped; returns the largest value seen. */
function sampleMax(read: () => Promise<number>) {
  let max = 0;
  let on = true;
  const done = (async () => {
    while (on) {
      max = Math.max(max, await read());
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  return {
    stop: async () => {
      on = false;
      await done;
      return max;
    },
  };
}

test('three worker processes never run more than 3 jobs of a batch capped at 3; other work is not held back', async () => {
  const store = testStore();
  const kiln = await Kiln.open({ store: store.url, jobs: guaranteeJobs });
  const workers = [0, 1, 2].map(() => spawnWorkerProcess(store.url, { concurrency: 10 }));
  await Promise.all(workers.map((w) => w.ready));
  const sleepy = (i: number) => ({ type: 'test', params: { action: 'sleep', ms: 60, value: i } });
  const capped = await kiln.batches.create({
    name: 'capped',
    concurrency: 3,
    jobs: Array.from({ length: 45 }, (_, i) => sleepy(i)),
  });
  expect(capped.concurrency).toBe(3);
  const count = async (where: string) =>
    Number(
      (await store.query<{ n: number }>(`SELECT count(*) AS n FROM jobs WHERE ${where}`))[0]!.n,
    );
  const sampler = sampleMax(() => count(`state = 'running' AND batch_id = '${capped.id}'`));
  // Enqueued after the capped batch, so they come later in the claim order.
  const free = await kiln.batches.create({
    name: 'free',
    jobs: Array.from({ length: 45 }, (_, i) => sleepy(i)),
  });
  expect(free.concurrency).toBeNull();
  const loose = await kiln.enqueueMany(
    Array.from({ length: 30 }, (_, i) => ({
      job: 'test',
      params: { action: 'sleep', ms: 60, value: i },
    })),
  );
  try {
    // 45 jobs of 60 ms, 3 at a time, take >= 900 ms; 30 workers' slots finish the rest
    // long before: the uncapped batch and the loose jobs end while the capped one runs.
    await waitFor(
      async () =>
        (await kiln.batches.get(free.id))!.state === 'completed' &&
        (await count(`state = 'completed' AND batch_id IS NULL`)) === loose.length,
      { timeoutMs: 30_000, what: 'uncapped batch and loose jobs done' },
    );
    const meanwhile = (await kiln.batches.get(capped.id))!;
    expect(meanwhile.counts.pending).toBeGreaterThan(0);
    await waitFor(async () => (await kiln.batches.get(capped.id))!.state === 'completed', {
      timeoutMs: 60_000,
      what: 'capped batch done',
    });
  } finally {
    const max = await sampler.stop();
    expect(max).toBeLessThanOrEqual(3);
    expect(max).toBeGreaterThanOrEqual(2); // the cap is a cap, not a queue of one
  }
  await kiln.close();
}, 120_000);

test('a batch cap and a per-type cap hold together', async () => {
  const { kiln, work } = await openKiln({ jobs: testJobs });
  // 'test-capped' runs at most 3 at once over every worker; this batch at most 2.
  const sleepy = () => ({ type: 'test-capped', params: { action: 'sleep', ms: 40 } });
  const narrow = await kiln.batches.create({
    concurrency: 2,
    jobs: Array.from({ length: 12 }, sleepy),
  });
  const wide = await kiln.batches.create({ jobs: Array.from({ length: 12 }, sleepy) });
  const running = async (batchId?: string) =>
    (
      await kiln.jobs.list({
        state: 'running',
        type: 'test-capped',
        ...(batchId ? { batchId } : {}),
      })
    ).items.length;
  const batchMax = sampleMax(() => running(narrow.id));
  const typeMax = sampleMax(() => running());
  work({ concurrency: 10 });
  work({ concurrency: 10 });
  await waitFor(
    async () =>
      (await kiln.batches.get(narrow.id))!.state === 'completed' &&
      (await kiln.batches.get(wide.id))!.state === 'completed',
    { timeoutMs: 30_000, what: 'both batches done' },
  );
  expect(await batchMax.stop()).toBeLessThanOrEqual(2);
  expect(await typeMax.stop()).toBeLessThanOrEqual(3);
});

test('a paused capped batch claims nothing; resumed, it runs within its cap', async () => {
  const { kiln, work } = await openKiln({ jobs: testJobs });
  const batch = await kiln.batches.create({
    concurrency: 1,
    jobs: Array.from({ length: 4 }, () => ({ type: 'test', params: { action: 'sleep', ms: 20 } })),
  });
  await kiln.batches.pause(batch.id);
  const loose = await kiln.enqueue('test', { action: 'succeed' });
  work();
  await waitFor(async () => (await kiln.jobs.get(loose.id))!.state === 'completed', {
    what: 'loose job done',
  });
  expect((await kiln.batches.get(batch.id))!.counts.pending).toBe(4);
  const max = sampleMax(async () => (await kiln.batches.get(batch.id))!.counts.running);
  await kiln.batches.resume(batch.id);
  await waitFor(async () => (await kiln.batches.get(batch.id))!.state === 'completed', {
    timeoutMs: 20_000,
    what: 'batch done',
  });
  expect(await max.stop()).toBe(1);
});

test('concurrency must be an integer >= 1: nothing is created otherwise', async () => {
  const { kiln } = await openKiln({ jobs: testJobs });
  for (const concurrency of [0, -1, 1.5, Number.NaN]) {
    await expect(
      kiln.batches.create({ concurrency, jobs: [{ type: 'test', params: {} }] }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  }
  expect((await kiln.batches.list()).items).toEqual([]);
});
