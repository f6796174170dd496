/**
 * The change log is how the unfiltered feed finds changed rows (change-log.ts). Every
 * writer must log the rows it stamps, or the feed would skip them: this drives each
 * writer (enqueue, batches, claims, progress, completion, failure and retry backoff,
 * cancel of pending and running jobs, retry, release on shutdown; stall reaps share the
 * settles' statement and its logging), then
 * checks that the feed from the start and the rows themselves agree exactly, before and
 * after the log's dead entries are pruned.
 */
import { DatabaseSync } from 'node:sqlite';
import { expect, test } from 'vitest';
import type { ChangeEvent } from '../../src/index.ts';
import { collectEvents, useKiln, waitForJob } from '../support/library.ts';
import { testJob, testJobs } from '../support/test-jobs.ts';

const open = useKiln();

/** Every job row at its seq, straight from the table: what the feed must say. */
function rowsAtSeq(path: string): string[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return db
      .prepare('SELECT id, updated_seq FROM jobs ORDER BY updated_seq, rid')
      .all()
      .map((r) => `${r.updated_seq} ${r.id}`);
  } finally {
    db.close();
  }
}

function logSize(path: string): number {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return Number(db.prepare('SELECT count(*) AS n FROM job_changes').get()!.n);
  } finally {
    db.close();
  }
}

async function feedFromStart(
  t: Awaited<ReturnType<typeof open>>,
  expected: number,
): Promise<string[]> {
  const events = await collectEvents(
    t.kiln,
    { from: 'start' },
    (es) => es.filter((e) => e.kind === 'job').length >= expected,
  );
  // A job appears once per change the reader sees; from the start it is seen once, at
  // its latest seq (the rows are the feed).
  return events
    .filter((e): e is Extract<ChangeEvent, { kind: 'job' }> => e.kind === 'job')
    .map((e) => `${e.seq} ${e.job.id}`);
}

test('the feed from the start matches the rows after every kind of write, and after pruning', async () => {
  const t = await open({ jobs: testJobs });
  const path = t.url.slice('sqlite:'.length);

  const batch = await t.kiln.batches.create({
    name: 'mixed',
    jobs: [
      { type: 'test', params: { action: 'succeed', value: 1 } },
      { type: 'test', params: { action: 'progress', steps: 5, ms: 20 } },
      { type: 'test', params: { action: 'throw' } },
      { type: 'test', params: { action: 'sleep', ms: 60_000 } },
    ],
  });
  const single = await t.kiln.enqueue(testJob, { action: 'succeed', value: 2 });
  const cancelledPending = await t.kiln.enqueue(testJob, {}, { runAt: Date.now() + 3_600_000 });
  await t.kiln.jobs.cancel(cancelledPending.id);

  const worker = t.work({ concurrency: 10 });
  const page = await t.kiln.jobs.list({ batchId: batch.id });
  const byAction = new Map(page.items.map((j) => [(j.params as { action: string }).action, j]));
  const sleeper = byAction.get('sleep')!;
  await waitForJob(t.kiln, sleeper.id, 'running');
  await t.kiln.jobs.cancel(sleeper.id);
  const failed = await waitForJob(t.kiln, byAction.get('throw')!.id, 'failed');
  await waitForJob(t.kiln, single.id, 'completed');
  await waitForJob(t.kiln, byAction.get('progress')!.id, 'completed');
  await t.kiln.jobs.retry(failed.id);
  await waitForJob(t.kiln, failed.id, 'failed');
  // A job left running when the worker stops is released back to pending.
  const held = await t.kiln.enqueue(testJob, { action: 'sleep', ms: 60_000 });
  await waitForJob(t.kiln, held.id, 'running');
  await worker.stop(0);
  await waitForJob(t.kiln, held.id, 'pending');

  const truth = rowsAtSeq(path);
  expect(truth).toHaveLength(7);
  expect(await feedFromStart(t, truth.length)).toEqual(truth);

  // Most entries are dead by now (their rows changed again); pruning keeps the rest.
  const before = logSize(path);
  await t.kiln.prune();
  const after = logSize(path);
  expect(after).toBeLessThan(before);
  expect(await feedFromStart(t, truth.length)).toEqual(truth);
});
