import { afterEach, expect, test } from 'vitest';
import { Kiln } from '../../src/index.ts';
import { spawnWorker, tempStore, waitFor } from '../support/helpers.ts';
import { testJob, testJobs } from '../support/test-jobs.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

test('a worker in another process runs a job enqueued here, and stops gracefully on SIGTERM', async () => {
  const store = tempStore();
  const kiln = await Kiln.open({ store: store.url, jobs: testJobs });
  cleanups.push(store.cleanup, () => kiln.close());
  const worker = spawnWorker(store.url);
  await worker.ready;
  const job = await kiln.enqueue(testJob, { action: 'succeed', value: 42 });
  const done = await waitFor(async () => {
    const j = await kiln.jobs.get(job.id);
    return j?.state === 'completed' ? j : null;
  });
  expect(done.result).toEqual({ value: 42, attempt: 1 });
  worker.child.kill('SIGTERM');
  expect(await worker.exited).toEqual({ code: 0, signal: null });
});
