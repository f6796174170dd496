/**
 * An enqueue of more than JOB_CHUNK jobs is built and written a chunk at a time
 * (Store.insertJobChunks: on PostgreSQL each chunk is written while the next is built),
 * and is still one transaction: every job or none, the batch row once, the batch's cap
 * and idempotency keys across chunks as in a small enqueue.
 */
import { describe, expect, test } from 'vitest';
import { JOB_CHUNK } from '../../src/store/store.ts';
import { rejection, useKiln } from '../support/library.ts';
import { testJob, testJobs } from '../support/test-jobs.ts';

const openKiln = useKiln();
/** Three chunks, the last one short. */
const N = JOB_CHUNK * 2 + 500;

describe('large enqueues, in chunks', () => {
  test('enqueueMany: every job, ids in call order, keys met across chunks and before', async () => {
    const { kiln } = await openKiln({ jobs: testJobs });
    const earlier = await kiln.enqueue(testJob, { value: 'earlier' }, { idempotencyKey: 'old' });
    const items = Array.from({ length: N }, (_, i) => ({ job: testJob, params: { value: i } }));
    // A key twice, in the first and the third chunk; a key an earlier enqueue holds, in the second.
    const repeated = JOB_CHUNK * 2 + 10;
    const known = JOB_CHUNK + 10;
    Object.assign(items[1]!, { options: { idempotencyKey: 'twice' } });
    Object.assign(items[repeated]!, { options: { idempotencyKey: 'twice' } });
    Object.assign(items[known]!, { options: { idempotencyKey: 'old' } });

    const inserted = await kiln.enqueueMany(items);
    expect(inserted).toHaveLength(N);
    expect(inserted[repeated]).toEqual({ id: inserted[1]!.id, created: false });
    expect(inserted[known]).toEqual({ id: earlier.id, created: false });
    expect(inserted.filter((r) => r.created)).toHaveLength(N - 2);

    const created = inserted.filter((r) => r.created).map((r) => r.id);
    const jobs = await kiln.store.getJobs(created);
    expect(jobs).toHaveLength(N - 2);
    const byId = new Map(jobs.map((j) => [j.id, j]));
    inserted.forEach((r, i) => {
      if (r.created) expect((byId.get(r.id)!.params as { value: unknown }).value).toBe(i);
    });
    // UUIDv7 ids rise with the call's order, chunk after chunk.
    expect([...created].sort()).toEqual(created);
  });

  test("a batch's row is written once and its cap holds for the jobs of every chunk", async () => {
    const { kiln } = await openKiln({ jobs: testJobs });
    const batch = await kiln.batches.create({
      name: 'large',
      concurrency: 2,
      // The last chunk's jobs come first in claim order.
      jobs: Array.from({ length: N }, (_, i) => ({
        type: testJob.type,
        params: { value: i },
        priority: i >= JOB_CHUNK * 2 ? 10 : 0,
      })),
    });
    expect(batch.counts).toMatchObject({ total: N, pending: N });
    expect((await kiln.batches.list({ limit: 10 })).items.map((b) => b.id)).toEqual([batch.id]);

    const claimed = await kiln.store.turn({
      settles: [],
      reaps: [],
      flushes: [],
      claim: { owner: 'w', limit: 10, leaseMs: 60_000, types: [{ type: testJob.type, cap: null }] },
    });
    expect(claimed.claimed).toHaveLength(2);
    for (const job of claimed.claimed) {
      expect((await kiln.jobs.get(job.id))!.priority).toBe(10);
    }
  });

  test('invalid params in the last chunk: nothing is stored, not the batch either', async () => {
    const { kiln } = await openKiln({ jobs: testJobs });
    const items = Array.from({ length: N }, (_, i) => ({ job: testJob, params: { value: i } }));
    items[N - 1]!.params = { action: 'explode' } as never;
    expect((await rejection(kiln.enqueueMany(items))).code).toBe('VALIDATION_FAILED');
    const error = await rejection(
      kiln.batches.create({
        name: 'refused',
        jobs: items.map((i) => ({ type: testJob.type, params: i.params })),
      }),
    );
    expect(error.code).toBe('VALIDATION_FAILED');
    expect((await kiln.jobs.list({ limit: 10 })).items).toEqual([]);
    expect((await kiln.batches.list({ limit: 10 })).items).toEqual([]);
  });
});
