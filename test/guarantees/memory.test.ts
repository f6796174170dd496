/**
 * Guarantee 9: a long-running worker's memory does not grow with the number of
 * finished jobs. A worker process (concurrency 50) runs 100,000 no-op jobs and reports
 * its RSS and its heap after a full GC every 250 ms; what it holds after the first 20,000
 * jobs (warmed up: JIT, statement cache, SQLite page cache) must not grow over the next
 * 80,000.
 *
 * V8 sizes its young generation from the allocation rate: left alone, it doubled from
 * 16 to 128 MB during this run (measured: RSS +50 MB with the heap after GC flat at
 * 13.2 MB). That is an arena, not retained memory, so the worker runs with the semi-space
 * pinned (--min/--max-semi-space-size=16); RSS then moved ~+5 MB per 100,000 jobs here.
 *
 * Bounds, over the 80,000 jobs after the baseline:
 * - heap after a full GC: < 3 MB, i.e. < ~37 B per job. Any object kept per job (a map
 *   entry keyed by a 36-character id is ~100 B) breaks it. Measured noise: ~0.2 MB.
 * - RSS: < 30 MB, i.e. < ~390 B per job: catches native leaks too (statements, buffers).
 */
import { afterEach, expect, test } from 'vitest';
import { type EnqueueItem, Kiln } from '../../src/index.ts';
import { waitFor } from '../support/helpers.ts';
import { guaranteeJobs } from './support/jobs.ts';
import { spawnWorkerProcess, teardown, testStore } from './support/processes.ts';

afterEach(teardown);

const TOTAL = 100_000;
const CHUNK = 10_000;
const WARM = 20_000;
const MB = 1024 * 1024;

interface Sample {
  rss: number;
  heapUsed: number;
  completed: number;
}

test('worker memory stays flat over 100,000 jobs', async () => {
  const store = testStore();
  const kiln = await Kiln.open({ store: store.url, jobs: guaranteeJobs });
  // Only the type enqueued here: a worker that may also claim the capped type claims on
  // PostgreSQL through the transaction path (worker-queries.ts), not the usual hot path.
  const worker = spawnWorkerProcess(
    store.url,
    { concurrency: 50, types: ['test'] },
    { rssEveryMs: 250 },
    ['--expose-gc', '--min-semi-space-size=16', '--max-semi-space-size=16'],
  );
  await worker.ready;
  const pending = async () =>
    (await store.query<{ n: number }>(`SELECT count(*) AS n FROM jobs WHERE state = 'pending'`))[0]!
      .n;

  const samples = () => worker.json<Sample>().filter((s) => s.rss !== undefined);
  for (let enqueued = 0; enqueued < TOTAL; enqueued += CHUNK) {
    // Keep a few thousand jobs queued: the worker never idles, the queue never balloons.
    await waitFor(async () => (await pending()) < CHUNK / 2, {
      timeoutMs: 30_000,
      what: 'the queue to drain',
    });
    const items: EnqueueItem[] = Array.from({ length: CHUNK }, (_, i) => ({
      job: 'test',
      params: { value: enqueued + i },
    }));
    await kiln.enqueueMany(items);
  }
  await waitFor(() => samples().at(-1)?.completed === TOTAL, {
    timeoutMs: 60_000,
    intervalMs: 50,
    what: 'the worker to complete every job',
  });

  const all = samples();
  const baseline = all.find((s) => s.completed >= WARM)!;
  const rest = all.slice(all.indexOf(baseline) + 1);
  expect(rest.length).toBeGreaterThan(4);
  const peakRss = Math.max(...rest.map((s) => s.rss));
  const peakHeap = Math.max(...rest.map((s) => s.heapUsed));
  const report = `rss ${(baseline.rss / MB).toFixed(1)} -> peak ${(peakRss / MB).toFixed(1)} MB; heap ${(baseline.heapUsed / MB).toFixed(1)} -> peak ${(peakHeap / MB).toFixed(1)} MB`;
  expect(peakRss - baseline.rss, report).toBeLessThan(30 * MB);
  expect(peakHeap - baseline.heapUsed, report).toBeLessThan(3 * MB);
  await kiln.close();
});
