/**
 * Attempts history, batch timelines and batch list filters, on both stores: a job that
 * fails twice then succeeds shows three attempts (errors with message and stack), a
 * stalled attempt (an expired lease seeded through the store, then reaped by a worker)
 * shows `stalled`, a retry by a person keeps the history, retention deletes it.
 */
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { defineJob } from '../../src/index.ts';
import { waitFor } from '../support/helpers.ts';
import { useKiln, waitForJob } from '../support/library.ts';
import { testJob, testJobs } from '../support/test-jobs.ts';

const openKiln = useKiln();

/** Fails its first `failures` attempts, then succeeds. */
const flakyJob = defineJob({
  type: 'flaky',
  params: z.object({ failures: z.number().int() }),
  retry: { attempts: 5, backoff: { baseMs: 5, maxMs: 10 } },
  run: (ctx) => {
    if (ctx.attempt <= ctx.params.failures) throw new Error(`flaky attempt ${ctx.attempt}`);
    return { ok: ctx.attempt };
  },
});
const jobs = [...testJobs, flakyJob];

describe('attempts history', () => {
  test('fails twice then succeeds: three attempts, the errors kept, the last from the job row', async () => {
    const { kiln, work } = await openKiln({ jobs });
    const job = await kiln.enqueue(flakyJob, { failures: 2 });
    work();
    await waitForJob(kiln, job.id, 'completed');
    const attempts = await kiln.jobs.attempts(job.id);
    expect(attempts.map((a) => [a.attempt, a.state])).toEqual([
      [1, 'retried'],
      [2, 'retried'],
      [3, 'completed'],
    ]);
    for (const [i, a] of attempts.slice(0, 2).entries()) {
      expect(a.error?.message).toBe(`flaky attempt ${i + 1}`);
      expect(a.error?.stack).toContain('flaky attempt');
      expect(a.startedAt).not.toBeNull();
      expect(a.finishedAt!.getTime()).toBeGreaterThanOrEqual(a.startedAt!.getTime());
      expect(a.leaseOwner).toEqual(expect.any(String));
    }
    expect(attempts[2]!.error).toBeNull();
  });

  test('a stalled attempt (expired lease, reaped) shows stalled, then the next attempt runs', async () => {
    const { kiln, work } = await openKiln({ jobs });
    const job = await kiln.enqueue(testJob, { action: 'succeed' });
    // A worker that claims and then dies: its lease is ended through the store.
    const claim = {
      owner: 'ghost',
      limit: 1,
      leaseMs: 60_000,
      types: [{ type: 'test', cap: null }],
    };
    const turn = await kiln.store.turn({ settles: [], reaps: [], flushes: [], claim });
    expect(turn.claimed.map((c) => c.id)).toEqual([job.id]);
    expect(await kiln.jobs.attempts(job.id)).toMatchObject([{ attempt: 1, state: 'running' }]);
    expect(await kiln.store.expireLeases('ghost')).toBe(1);
    work();
    await waitForJob(kiln, job.id, 'completed');
    const attempts = await kiln.jobs.attempts(job.id);
    expect(attempts.map((a) => [a.attempt, a.state, a.leaseOwner === 'ghost'])).toEqual([
      [1, 'stalled', true],
      [2, 'completed', false],
    ]);
    expect(attempts[0]!.error?.code).toBe('LEASE_EXPIRED');
  });

  test('a retry by a person keeps the history: numbers go on counting; delete removes it', async () => {
    const { kiln, work } = await openKiln({ jobs });
    const job = await kiln.enqueue(testJob, { action: 'throw-final' });
    work();
    await waitForJob(kiln, job.id, 'failed');
    expect((await kiln.jobs.attempts(job.id)).map((a) => [a.attempt, a.state])).toEqual([
      [1, 'failed'],
    ]);
    await kiln.jobs.retry(job.id);
    await waitFor(async () => (await kiln.jobs.attempts(job.id)).length === 2, {
      what: 'second attempt',
    });
    await waitForJob(kiln, job.id, 'failed');
    const after = await kiln.jobs.attempts(job.id);
    expect(after.map((a) => [a.attempt, a.state])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
    ]);
    expect(after[1]!.error?.code).toBe('TEST_FINAL');
    await kiln.jobs.delete(job.id);
    expect(await kiln.store.listAttempts(job.id)).toEqual([]);
    await expect(kiln.jobs.attempts(job.id)).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
  });

  test('cancelling a running job records the attempt as cancelled', async () => {
    const { kiln, work } = await openKiln({ jobs });
    const job = await kiln.enqueue(testJob, { action: 'sleep', ms: 30_000 });
    work();
    await waitForJob(kiln, job.id, 'running');
    await kiln.jobs.cancel(job.id);
    expect((await kiln.jobs.attempts(job.id)).map((a) => [a.attempt, a.state])).toEqual([
      [1, 'cancelled'],
    ]);
  });
});

describe('batch timeline', () => {
  test('finished jobs per bucket, empty buckets between, unknown batch 404', async () => {
    const { kiln, work } = await openKiln({ jobs });
    const batch = await kiln.batches.create({
      jobs: [
        ...Array.from({ length: 5 }, () => ({ type: 'test', params: { action: 'succeed' } })),
        { type: 'test', params: { action: 'throw-final' } },
      ],
    });
    expect(await kiln.batches.timeline(batch.id)).toEqual({ bucketMs: 1_000, items: [] });
    work();
    await waitFor(async () => (await kiln.batches.get(batch.id))!.state === 'failed', {
      what: 'batch ended',
    });
    const t = await kiln.batches.timeline(batch.id, { bucketMs: 100 });
    expect(t.bucketMs).toBe(100);
    expect(t.items.reduce((n, b) => n + b.completed, 0)).toBe(5);
    expect(t.items.reduce((n, b) => n + b.failed, 0)).toBe(1);
    for (let i = 1; i < t.items.length; i++) {
      expect(t.items[i]!.at.getTime() - t.items[i - 1]!.at.getTime()).toBe(100);
    }
    const byDefault = await kiln.batches.timeline(batch.id);
    expect(byDefault.bucketMs).toBeGreaterThanOrEqual(100);
    expect(byDefault.items.length).toBeLessThanOrEqual(201);
    await expect(kiln.batches.timeline(batch.id, { bucketMs: 99 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(
      kiln.batches.timeline('0190f5e2-0000-7000-8000-000000000000'),
    ).rejects.toMatchObject({
      code: 'BATCH_NOT_FOUND',
    });
  });
});

describe('batch list filters', () => {
  test('by derived state, name substring (any case) and template, paged with a cursor', async () => {
    const { kiln } = await openKiln({ jobs });
    const one = { type: 'test', params: { action: 'succeed' } };
    const ids: Record<string, string> = {};
    for (const name of ['Alpha report', 'beta REPORT', 'gamma', 'delta report']) {
      ids[name] = (await kiln.batches.create({ name, jobs: [one] })).id;
    }
    await kiln.batches.pause(ids.gamma!);
    await kiln.batches.pause(ids['delta report']!);
    await kiln.batches.cancel(ids['beta REPORT']!);
    const names = async (options: Parameters<typeof kiln.batches.list>[0]) =>
      (await kiln.batches.list(options)).items.map((b) => b.name);
    expect(await names({ state: 'paused' })).toEqual(['delta report', 'gamma']);
    expect(await names({ state: ['pending', 'cancelled'] })).toEqual([
      'beta REPORT',
      'Alpha report',
    ]);
    expect(await names({ q: 'RePoRt' })).toEqual(['delta report', 'beta REPORT', 'Alpha report']);
    expect(await names({ q: 'report', state: 'paused' })).toEqual(['delta report']);
    expect(await names({ template: 'none' })).toEqual([]);
    // Paging with a filter: one a page, the cursor resumes after the last one shown.
    const first = await kiln.batches.list({ q: 'report', limit: 1 });
    expect(first.items.map((b) => b.name)).toEqual(['delta report']);
    const second = await kiln.batches.list({ q: 'report', limit: 2, cursor: first.nextCursor });
    expect(second.items.map((b) => b.name)).toEqual(['beta REPORT', 'Alpha report']);
    expect(second.nextCursor).toBeNull();
    await expect(kiln.batches.list({ state: 'bogus' as never })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(kiln.batches.list({ qq: 'x' } as never)).rejects.toMatchObject({
      code: 'UNKNOWN_OPTION',
    });
  });
});
