/**
 * A store holding a bit of everything, for the tests of `kiln copy`: templates (from
 * code and saved at run time), batches (from a template, paused, cancelled, waiting),
 * and jobs in every state, with logs, artifacts (text and binary), usage, progress,
 * checkpoints, results and errors, including a running job whose worker died. And the
 * comparisons that say two stores hold the same, read through the public API.
 */
import { expect } from 'vitest';
import { z } from 'zod';
import {
  type Batch,
  type ChangeEvent,
  defineJob,
  defineTemplate,
  type Job,
  Kiln,
  NonRetryableError,
} from '../../src/index.ts';
import { flushMark } from '../../src/worker/progress-buffer.ts';
import { waitFor } from './helpers.ts';
import { collectEvents, FAST_WORKER, waitForJob } from './library.ts';

/** Bytes 0..255 over and over, shifted by `n`: binary content that survives no re-encoding. */
export function bytesOf(n: number, length: number): Buffer {
  const data = Buffer.alloc(length);
  for (let i = 0; i < length; i++) data[i] = (i + n) % 256;
  return data;
}

export const recordJob = defineJob({
  type: 'record',
  params: z.object({
    n: z.number().int(),
    /** 'final': fails for good; 'retry': fails every attempt; 'first': fails attempt 1 for good. */
    fail: z.enum(['no', 'final', 'retry', 'first']).default('no'),
    /** Size of a binary artifact to write (0: none). */
    bytes: z.number().int().min(0).default(0),
  }),
  retry: { attempts: 2, backoff: { baseMs: 10, maxMs: 20 } },
  run: async (ctx) => {
    const { n, fail, bytes } = ctx.params;
    ctx.progress(0.5, `half of ${n}`);
    ctx.heartbeat({ half: n });
    ctx.usage({ tokens: 10 * n, costUsd: 0.001 * n });
    ctx.log('working', { n, resumedFrom: ctx.checkpoint ?? null });
    ctx.log('warn', `attempt ${ctx.attempt}`);
    await ctx.artifacts.write('note.txt', `job ${n}, attempt ${ctx.attempt}`, {
      contentType: 'text/plain',
    });
    if (bytes > 0) await ctx.artifacts.write('data.bin', bytesOf(n, bytes));
    if (fail === 'final' || (fail === 'first' && ctx.attempt === 1)) {
      throw new NonRetryableError(`job ${n} fails`, { code: 'E_RECORD' });
    }
    if (fail === 'retry') throw new Error(`job ${n} fails, attempt ${ctx.attempt}`);
    return { n, attempt: ctx.attempt };
  },
});

export const gridTemplate = defineTemplate({
  name: 'record-grid',
  type: recordJob,
  params: { bytes: 3 },
  grid: { n: [1, 2, 3] },
});

export interface Fixture {
  /** Every job and batch id. */
  jobs: string[];
  batches: string[];
  /** Pending and due, in no paused batch: a worker on the target completes them. */
  runnable: string[];
  /** Pending in a paused batch or scheduled an hour ahead: they stay pending. */
  held: string[];
  /** Running under a lease that expired (its worker died): the target's reaper retries it. */
  orphaned: string;
}

const terminal = (j: Job | null) =>
  j !== null && (j.state === 'completed' || j.state === 'failed' || j.state === 'cancelled');

/** Fills the store at `url` (which should be empty) and closes it. */
export async function fillStore(url: string): Promise<Fixture> {
  const kiln = await Kiln.open({ store: url, jobs: [recordJob], templates: [gridTemplate] });
  try {
    await kiln.templates.save({
      name: 'saved',
      type: 'record',
      description: 'saved at run time',
      params: { n: 9 },
      grid: { bytes: [1, 2] },
    });
    // Work that runs on the source: completed, failed, failed after its retries.
    const grid = await kiln.batches.create({ template: 'record-grid', metadata: { by: 'test' } });
    const gridJobs = (await kiln.jobs.list({ batchId: grid.id })).items.map((j) => j.id);
    const ran = [
      ...gridJobs,
      (await kiln.enqueue(recordJob, { n: 10, bytes: 70_000 }, { name: 'big' })).id,
      (await kiln.enqueue(recordJob, { n: 11, fail: 'final' })).id,
      (await kiln.enqueue(recordJob, { n: 12, fail: 'retry' })).id,
    ];
    const retried = (await kiln.enqueue(recordJob, { n: 13, fail: 'first' })).id;
    ran.push(retried);
    const worker = kiln.work(FAST_WORKER);
    await waitFor(
      async () => (await Promise.all(ran.map((id) => kiln.jobs.get(id)))).every(terminal),
      {
        what: 'the source jobs to finish',
      },
    );
    await worker.stop();
    // Failed on attempt 1; pending again with its attempt count kept.
    await kiln.jobs.retry(retried);

    // Work left for later: paused, cancelled, waiting, scheduled, keyed, cancelled alone.
    const paused = await kiln.batches.create({
      name: 'paused',
      jobs: [
        { type: recordJob, params: { n: 20 } },
        { type: recordJob, params: { n: 21 } },
      ],
    });
    await kiln.batches.pause(paused.id);
    const cancelled = await kiln.batches.create({
      name: 'cancelled',
      jobs: [{ type: recordJob, params: { n: 30 } }],
    });
    await kiln.batches.cancel(cancelled.id);
    const waiting = await kiln.batches.create({
      name: 'waiting',
      priority: 3,
      // Copied with its jobs' batch_concurrency: the copy still claims them under the cap.
      concurrency: 2,
      jobs: [40, 41, 42].map((n) => ({ type: recordJob, params: { n }, name: `n=${n}` })),
    });
    const later = await kiln.enqueue(recordJob, { n: 50 }, { runAt: Date.now() + 3_600_000 });
    const keyed = await kiln.enqueue(
      recordJob,
      { n: 51, bytes: 10 },
      { priority: 5, idempotencyKey: 'key-51' },
    );
    const alone = await kiln.enqueue(recordJob, { n: 52 });
    await kiln.jobs.cancel(alone.id);

    const orphaned = await orphan(kiln, 60);
    const byBatch = async (id: string) =>
      (await kiln.jobs.list({ batchId: id })).items.map((j) => j.id);
    const waitingJobs = await byBatch(waiting.id);
    const pausedJobs = await byBatch(paused.id);
    const jobs = await allJobIds(kiln);
    return {
      jobs,
      batches: [grid.id, paused.id, cancelled.id, waiting.id],
      runnable: [...waitingJobs, keyed.id, retried],
      held: [...pausedJobs, later.id],
      orphaned,
    };
  } finally {
    await kiln.close();
  }
}

/**
 * A job claimed by a worker that reported progress, a checkpoint, usage and a log line,
 * then died: its lease ended (as the dead-worker check does it), the job still running.
 */
export async function orphan(kiln: Kiln, n: number, expire = true): Promise<string> {
  const job = await kiln.enqueue(recordJob, { n }, { priority: 100 });
  const owner = `gone-${n}`;
  const claim = { owner, limit: 1, leaseMs: 60_000, types: [{ type: 'record', cap: null }] };
  const { claimed } = await kiln.store.turn({ settles: [], reaps: [], flushes: [], claim });
  expect(claimed.map((c) => c.id)).toEqual([job.id]);
  const fence = { id: job.id, attempt: claimed[0]!.attempt, owner, row: claimed[0]!.row };
  const flush = {
    fence,
    mark: flushMark(fence.attempt, 1),
    progress: 0.25,
    message: 'a quarter',
    heartbeat: true,
    checkpointJson: JSON.stringify({ done: 1 }),
    usage: { tokens: 7, costUsd: 0.5 },
    logs: [
      { atMs: Date.now(), level: 'info' as const, message: 'before the crash', fieldsJson: null },
    ],
  };
  const { lostFences } = await kiln.store.turn({
    settles: [],
    reaps: [],
    flushes: [flush],
    claim: null,
  });
  expect(lostFences).toEqual([]);
  if (expire) expect(await kiln.store.expireLeases(owner)).toBe(1);
  return job.id;
}

export async function allJobIds(kiln: Kiln): Promise<string[]> {
  return (await allJobs(kiln)).map((j) => j.id);
}

export async function allJobs(kiln: Kiln): Promise<Job[]> {
  const jobs: Job[] = [];
  let cursor: string | null = null;
  do {
    const page = await kiln.jobs.list({ limit: 1_000, cursor });
    jobs.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return jobs;
}

/** A job without its feed position, which is each store's own. */
const comparable = ({ seq: _, ...job }: Job) => job;

/**
 * A batch without its feed position and its ETA (which is measured against the reading
 * moment); sums of costs compared to the cent's billionth (stores add them in their
 * own order).
 */
function comparableBatch({ seq: _, etaMs: __, ...batch }: Batch) {
  return { ...batch, usage: { ...batch.usage, costUsd: Math.round(batch.usage.costUsd * 1e9) } };
}

/** Everything the fixture wrote reads back the same from both stores. */
export async function expectSameContents(
  source: Kiln,
  target: Kiln,
  fixture: Fixture,
): Promise<void> {
  const sourceJobs = await allJobs(source);
  const targetJobs = await allJobs(target);
  expect(targetJobs.map(comparable)).toEqual(sourceJobs.map(comparable));
  expect(sourceJobs.map((j) => j.id).sort()).toEqual([...fixture.jobs].sort());
  // Every state is there, and the orphan still runs under its dead worker's lease.
  expect(new Set(targetJobs.map((j) => j.state))).toEqual(
    new Set(['pending', 'running', 'completed', 'failed', 'cancelled']),
  );
  const orphaned = targetJobs.find((j) => j.id === fixture.orphaned)!;
  expect(orphaned).toMatchObject({ state: 'running', leaseOwner: 'gone-60', progress: 0.25 });
  for (const id of fixture.jobs) {
    expect(await target.jobs.get(id).then((j) => j && comparable(j))).toEqual(
      comparable((await source.jobs.get(id))!),
    );
    expect(await target.jobs.logs(id, { limit: 1_000 })).toEqual(
      await source.jobs.logs(id, { limit: 1_000 }),
    );
    expect(await target.store.listAttempts(id)).toEqual(await source.store.listAttempts(id));
    const artifacts = await source.artifacts.list(id);
    expect(await target.artifacts.list(id)).toEqual(artifacts);
    for (const a of artifacts) {
      const bytes = await target.artifacts.read(id, a.name);
      expect(bytes.equals(await source.artifacts.read(id, a.name))).toBe(true);
      expect(bytes.byteLength).toBe(a.sizeBytes);
    }
  }
  for (const id of fixture.batches) {
    const batch = (await source.batches.get(id))!;
    expect(comparableBatch((await target.batches.get(id))!)).toEqual(comparableBatch(batch));
  }
  expect((await target.batches.list()).items.map(comparableBatch)).toEqual(
    (await source.batches.list()).items.map(comparableBatch),
  );
  expect(await target.templates.list()).toEqual(await source.templates.list());
  // Past attempts were there to copy (a job failed after its retries, another retried).
  const recorded = await Promise.all(fixture.jobs.map((id) => target.store.listAttempts(id)));
  expect(recorded.flat().map((a) => a.state)).toEqual(
    expect.arrayContaining(['retried', 'failed']),
  );
  const waiting = (await target.batches.list({ q: 'waiting' })).items[0]!;
  expect(waiting.concurrency).toBe(2);
}

const jobIdsIn = (events: ChangeEvent[]) =>
  new Set(events.flatMap((e) => (e.kind === 'job' ? [e.job.id] : [])));
const completedIn = (events: ChangeEvent[]) =>
  new Set(
    events.flatMap((e) => (e.kind === 'job' && e.job.state === 'completed' ? [e.job.id] : [])),
  );

/**
 * The target of a copy of the fixture carries on: a watcher from the start sees every
 * job and batch; a worker runs the pending jobs and, from its checkpoint, the job whose
 * worker died; jobs on hold stay; new jobs and logs get fresh ids; and what the worker
 * changes a watcher sees after the copied positions.
 */
export async function expectFeedAndWork(target: Kiln, fixture: Fixture): Promise<void> {
  const copied = await collectEvents(target, { from: 'start' }, (events) =>
    fixture.jobs.every((id) => jobIdsIn(events).has(id)),
  );
  const batchesSeen = new Set(copied.flatMap((e) => (e.kind === 'batch' ? [e.batch.id] : [])));
  expect([...batchesSeen].sort()).toEqual([...fixture.batches].sort());
  const lastCopied = Math.max(...copied.map((e) => e.seq));

  const fresh = await target.enqueue(recordJob, { n: 70 });
  const expected = [...fixture.runnable, fixture.orphaned, fresh.id];
  const watching = collectEvents(target, { from: lastCopied }, (events) =>
    expected.every((id) => completedIn(events).has(id)),
  );
  const worker = target.work(FAST_WORKER);
  try {
    // A turn that failed (a log id or rowid taken twice) would be retried and then pass:
    // count the failures.
    const errors: unknown[] = [];
    worker.events.on('error', ({ error }) => errors.push(error));
    await watching;
    const orphaned = await waitForJob(target, fixture.orphaned, 'completed');
    expect(orphaned.attempt).toBe(2);
    expect(orphaned.result).toEqual({ n: 60, attempt: 2 });
    const logs = await target.jobs.logs(fixture.orphaned);
    const before = logs.find((l) => l.message === 'before the crash')!;
    const working = logs.find((l) => l.message === 'working')!;
    expect(working.fields).toEqual({ n: 60, resumedFrom: { done: 1 } });
    // Log ids written on the target follow the copied ones.
    expect(working.id).toBeGreaterThan(before.id);
    for (const id of fixture.held) expect((await target.jobs.get(id))?.state).toBe('pending');
    expect(errors).toEqual([]);
  } finally {
    await worker.stop(50);
  }
}
