import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { newId } from '../../src/core/ids.ts';
import { defineJob, type Job, KilnError } from '../../src/index.ts';
import { waitFor } from '../support/helpers.ts';
import { Gates, rejection, useKiln, waitForJob } from '../support/library.ts';
import { richJob } from '../support/library-jobs.ts';
import { testJob, testJobs, watchedJob } from '../support/test-jobs.ts';

const openKiln = useKiln();
const gates = new Gates();
const aborted = new Map<string, unknown>();
const finishedAfterAbort = new Set<string>();

/** Waits for its gate, ignoring its signal (but noting it), then returns. */
const stubbornJob = defineJob({
  type: 'stubborn',
  params: z.object({ key: z.string() }),
  run: async (ctx) => {
    ctx.signal.addEventListener('abort', () => aborted.set(ctx.params.key, ctx.signal.reason));
    await gates.wait(ctx.params.key);
    if (ctx.signal.aborted) finishedAfterAbort.add(ctx.params.key);
    return { finished: ctx.params.key };
  },
});

/** Fails every attempt, recording when each started. */
const startTimes = new Map<string, number[]>();
const flakyJob = defineJob({
  type: 'flaky',
  params: z.object({ key: z.string() }),
  retry: { attempts: 3, backoff: { baseMs: 200, maxMs: 10_000, jitter: 0 } },
  run: (ctx) => {
    const times = startTimes.get(ctx.params.key) ?? [];
    times.push(Date.now());
    startTimes.set(ctx.params.key, times);
    throw Object.assign(new Error(`flaky attempt ${ctx.attempt}`), { code: 'E_FLAKY' });
  },
});

class RefusedError extends Error {}
const pickyJob = defineJob({
  type: 'picky',
  params: z.object({}),
  retry: { attempts: 5, nonRetryable: (e) => e instanceof RefusedError },
  run: () => {
    throw new RefusedError('refused by the remote');
  },
});

const slowJob = defineJob({
  type: 'slow',
  params: z.object({ key: z.string() }),
  timeoutMs: 200,
  retry: { attempts: 1 },
  run: async (ctx) => {
    await new Promise((resolve, reject) => {
      const t = setTimeout(resolve, 5_000);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(t);
        aborted.set(ctx.params.key, ctx.signal.reason);
        reject(ctx.signal.reason);
      });
    });
  },
});

/** Reports the given (fraction, message) pairs, then waits for its gate. */
const reporterJob = defineJob({
  type: 'reporter',
  params: z.object({ key: z.string(), reports: z.array(z.tuple([z.number(), z.string()])) }),
  retry: { attempts: 1 },
  run: async (ctx) => {
    for (const [fraction, message] of ctx.params.reports) ctx.progress(fraction, message);
    await gates.wait(ctx.params.key, ctx.signal);
  },
});

/** Each run waits for its own gate (`<key>-<run>`), ignoring its signal, then reports progress. */
const runs = new Map<string, number>();
const zombieJob = defineJob({
  type: 'zombie',
  params: z.object({ key: z.string() }),
  run: async (ctx) => {
    const run = runs.get(ctx.params.key) ?? 0;
    runs.set(ctx.params.key, run + 1);
    ctx.signal.addEventListener('abort', () => aborted.set(`${ctx.params.key}-${run}`, true));
    await gates.wait(`${ctx.params.key}-${run}`);
    ctx.progress(0.9, `run ${run}`);
    await ctx.artifacts.write('out.txt', `run ${run}`).catch(() => {});
    finishedAfterAbort.add(`${ctx.params.key}-${run}`);
    return { run };
  },
});

const jobs = [
  ...testJobs,
  zombieJob,
  reporterJob,
  richJob,
  stubbornJob,
  flakyJob,
  pickyJob,
  slowJob,
];

let keys = 0;
const newKey = () => `j${++keys}`;

describe('reading jobs', () => {
  test('get returns null for an unknown id', async () => {
    const { kiln } = await openKiln({ jobs });
    expect(await kiln.jobs.get(newId())).toBeNull();
  });

  test('list filters by state, type and batch', async () => {
    const { kiln, work } = await openKiln({ jobs });
    const a = await kiln.enqueue(testJob, {});
    const b = await kiln.enqueue(testJob, { action: 'throw-final' });
    const rich = await kiln.enqueue(richJob, {});
    const batch = await kiln.batches.create({
      jobs: [
        { type: testJob, params: {} },
        { type: testJob, params: {} },
      ],
    });
    const later = await kiln.enqueue(testJob, {}, { runAt: Date.now() + 60_000 });
    work();
    await waitFor(async () => (await kiln.jobs.list({ state: 'completed' })).items.length === 4);
    await waitForJob(kiln, b.id, 'failed');
    const ids = async (o: Parameters<typeof kiln.jobs.list>[0]) =>
      (await kiln.jobs.list(o)).items.map((j) => j.id).sort();
    const batchIds = (await kiln.jobs.list({ batchId: batch.id })).items.map((j) => j.id);
    expect(batchIds).toHaveLength(2);
    expect(await ids({ state: 'failed' })).toEqual([b.id]);
    expect(await ids({ state: 'pending' })).toEqual([later.id]);
    expect(await ids({ state: ['failed', 'pending'] })).toEqual([b.id, later.id].sort());
    expect(await ids({ type: 'rich' })).toEqual([rich.id]);
    expect(await ids({ type: 'test', state: 'completed' })).toEqual([a.id, ...batchIds].sort());
    expect(await ids({ batchId: batch.id, state: 'completed' })).toEqual([...batchIds].sort());
    expect(await ids({ type: 'nothing' })).toEqual([]);
    expect((await kiln.jobs.list()).items.map((j) => j.id)).toHaveLength(6);
  });

  test('cursor pagination: newest first, no duplicates, no gaps', async () => {
    const { kiln } = await openKiln({ jobs });
    const inserted = await kiln.enqueueMany(
      Array.from({ length: 23 }, (_, i) => ({ job: testJob, params: { value: i } })),
    );
    const seen: Job[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await kiln.jobs.list({ limit: 5, cursor });
      expect(page.items.length).toBeLessThanOrEqual(5);
      seen.push(...page.items);
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(5);
    const expected = inserted.map((j) => j.id).reverse();
    expect(seen.map((j) => j.id)).toEqual(expected);
    // A filter and a cursor together.
    const first = await kiln.jobs.list({ state: 'pending', limit: 20 });
    const second = await kiln.jobs.list({ state: 'pending', limit: 20, cursor: first.nextCursor });
    expect([...first.items, ...second.items].map((j) => j.id)).toEqual(expected);
    expect(second.nextCursor).toBeNull();
    // An exact fit has no next page.
    expect((await kiln.jobs.list({ limit: 23 })).nextCursor).toBeNull();
  });

  test('list refuses bad limits, bad cursors and unknown options', async () => {
    const { kiln } = await openKiln({ jobs });
    expect((await rejection(kiln.jobs.list({ limit: 0 }))).code).toBe('INVALID_ARGUMENT');
    expect((await rejection(kiln.jobs.list({ limit: 1_001 }))).code).toBe('INVALID_ARGUMENT');
    expect((await rejection(kiln.jobs.list({ cursor: 'garbage' }))).code).toBe('INVALID_ARGUMENT');
    const unknown = await rejection(kiln.jobs.list({ stat: 'pending' } as object));
    expect(unknown.code).toBe('UNKNOWN_OPTION');
    expect(unknown.message).toContain('did you mean `state`');
  });
});

describe('acting on jobs', () => {
  test('cancel a pending job, retry it, and refuse transitions the table forbids', async () => {
    const { kiln } = await openKiln({ jobs });
    const job = await kiln.enqueue(testJob, {});
    const cancelled = await kiln.jobs.cancel(job.id);
    expect(cancelled.state).toBe('cancelled');
    expect(cancelled.finishedAt).not.toBeNull();
    expect(cancelled.expiresAt).not.toBeNull();
    const again = await rejection(kiln.jobs.cancel(job.id));
    expect(again.code).toBe('INVALID_TRANSITION');
    expect(again.message).toContain('cancelled');
    const retried = await kiln.jobs.retry(job.id);
    expect(retried).toMatchObject({
      state: 'pending',
      attempt: 0,
      finishedAt: null,
      expiresAt: null,
    });
    expect((await rejection(kiln.jobs.retry(job.id))).code).toBe('INVALID_TRANSITION');
    const missing = newId();
    expect((await rejection(kiln.jobs.cancel(missing))).code).toBe('JOB_NOT_FOUND');
    expect((await rejection(kiln.jobs.retry(missing))).code).toBe('JOB_NOT_FOUND');
    expect((await rejection(kiln.jobs.delete(missing))).code).toBe('JOB_NOT_FOUND');
  });

  test('a completed job can be neither cancelled nor retried', async () => {
    const { kiln, work } = await openKiln({ jobs });
    const job = await kiln.enqueue(testJob, { value: 1 });
    work();
    await waitForJob(kiln, job.id, 'completed');
    expect((await rejection(kiln.jobs.cancel(job.id))).code).toBe('INVALID_TRANSITION');
    expect((await rejection(kiln.jobs.retry(job.id))).code).toBe('INVALID_TRANSITION');
    expect((await kiln.jobs.get(job.id))!.state).toBe('completed');
  });

  test('cancel a running job: its signal fires, it ends cancelled, its late result is not stored', async () => {
    const { kiln, work } = await openKiln({ jobs });
    const key = newKey();
    const job = await kiln.enqueue(stubbornJob, { key });
    const worker = work();
    const events: string[] = [];
    worker.events.on('job:complete', ({ id }) => events.push(`complete ${id}`));
    worker.events.on('lease:lost', ({ id }) => events.push(`lost ${id}`));
    await waitForJob(kiln, job.id, 'running');
    const cancelled = await kiln.jobs.cancel(job.id);
    expect(cancelled.state).toBe('cancelled');
    const reason = await waitFor(() => aborted.get(key));
    expect(reason).toBeInstanceOf(KilnError);
    // The handler ignores its signal and returns a result afterwards.
    gates.open(key);
    await waitFor(() => finishedAfterAbort.has(key));
    // The worker moves on: a later job runs, and the cancelled one is still cancelled.
    const probe = await kiln.enqueue(testJob, {});
    await waitForJob(kiln, probe.id, 'completed');
    const final = (await kiln.jobs.get(job.id))!;
    expect(final.state).toBe('cancelled');
    expect(final.result).toBeNull();
    expect(final.finishedAt!.getTime()).toBe(cancelled.finishedAt!.getTime());
    expect(events).toContain(`lost ${job.id}`);
    expect(events).not.toContain(`complete ${job.id}`);
  });

  // The same worker can take a retried job back while its cancelled attempt still runs.
  test.each([
    ['retried at once', false],
    ['retried after the worker saw the cancel', true],
  ])(
    'a cancelled attempt that keeps running writes nothing into the job once %s',
    async (_, waitForLoss) => {
      const { kiln, work } = await openKiln({ jobs });
      const key = newKey();
      const job = await kiln.enqueue(zombieJob, { key });
      const worker = work({ concurrency: 2 });
      const lost: string[] = [];
      worker.events.on('lease:lost', ({ id }) => lost.push(id));
      await waitForJob(kiln, job.id, 'running');
      await kiln.jobs.cancel(job.id);
      if (waitForLoss) await waitFor(() => lost.includes(job.id));
      await kiln.jobs.retry(job.id);
      // The same worker takes the retried job again while the first run still goes on.
      const second = await waitForJob(
        kiln,
        job.id,
        (j) => j.state === 'running' && runs.get(key) === 2,
      );
      expect(second.attempt).toBe(2);
      await waitFor(() => aborted.has(`${key}-0`), {
        timeoutMs: 5_000,
        what: "the first run's signal",
      });
      // The first run, cancelled and ignoring its signal, now reports progress, writes a
      // file and returns a result: none of it may land on the second run's job.
      gates.open(`${key}-0`);
      await waitFor(() => finishedAfterAbort.has(`${key}-0`));
      const probe = await kiln.enqueue(testJob, {});
      await waitForJob(kiln, probe.id, 'completed');
      const during = (await kiln.jobs.get(job.id))!;
      expect(during.state).toBe('running');
      // The worker still counts the second run as its own.
      expect(worker.running).toBe(1);
      expect(during.progressMessage).toBeNull();
      expect(during.progress).toBe(0);
      expect(await kiln.artifacts.list(job.id)).toEqual([]);
      gates.open(`${key}-1`);
      const done = await waitForJob(kiln, job.id, 'completed');
      expect(done.result).toEqual({ run: 1 });
      expect(done.progressMessage).toBe('run 1');
      expect((await kiln.artifacts.read(job.id, 'out.txt')).toString()).toBe('run 1');
      expect(done.startedAt!.getTime()).toBe(second.startedAt!.getTime());
    },
  );

  test('delete refuses a running job, and removes a finished one with its logs and artifacts', async () => {
    const { kiln, work, dir, kind } = await openKiln({ jobs });
    const key = newKey();
    const running = await kiln.enqueue(stubbornJob, { key });
    const rich = await kiln.enqueue(richJob, { logs: ['a', 'b'], files: { 'out.txt': 'hello' } });
    work();
    await waitForJob(kiln, running.id, 'running');
    const error = await rejection(kiln.jobs.delete(running.id));
    expect(error.code).toBe('INVALID_TRANSITION');
    expect((await kiln.jobs.get(running.id))!.state).toBe('running');

    await waitForJob(kiln, rich.id, 'completed');
    // The embedded store keeps artifacts as files; PostgreSQL keeps them in the database.
    const files = join(dir, 'artifacts', rich.id);
    if (kind === 'sqlite') expect(readdirSync(files)).toEqual(['out.txt']);
    expect((await kiln.artifacts.list(rich.id)).map((a) => a.name)).toEqual(['out.txt']);
    expect(await kiln.jobs.logs(rich.id)).toHaveLength(3);
    await kiln.jobs.delete(rich.id);
    expect(await kiln.jobs.get(rich.id)).toBeNull();
    expect(await kiln.jobs.logs(rich.id)).toEqual([]);
    expect(await kiln.artifacts.list(rich.id)).toEqual([]);
    expect(existsSync(files)).toBe(false);
    expect((await rejection(kiln.artifacts.read(rich.id, 'out.txt'))).code).toBe(
      'ARTIFACT_NOT_FOUND',
    );
    gates.open(key);
    await waitForJob(kiln, running.id, 'completed');
    await kiln.jobs.delete(running.id);
    expect(await kiln.jobs.get(running.id)).toBeNull();
  });
});

describe('the handler context', () => {
  test('logs, usage, progress and artifacts are stored and readable through kiln', async () => {
    const { kiln, work } = await openKiln({ jobs });
    const job = await kiln.enqueue(richJob, {
      logs: ['first', 'second'],
      tokens: 1_234,
      costUsd: 0.5,
      progress: 0.75,
      files: { 'report.md': '# Report', 'data.json': '{"a":1}' },
      badNames: ['../x', '.hidden', 'a/b', '', 'ok-name'],
    });
    work();
    const done = await waitForJob(kiln, job.id, 'completed');
    const result = done.result as {
      pid: number;
      refused: Record<string, string>;
      listed: string[];
      readBack: Record<string, string>;
    };
    expect(result.pid).toBe(process.pid);
    expect(result.refused).toEqual({
      '../x': 'INVALID_ARTIFACT_NAME',
      '.hidden': 'INVALID_ARTIFACT_NAME',
      'a/b': 'INVALID_ARTIFACT_NAME',
      '': 'INVALID_ARTIFACT_NAME',
      'ok-name': 'written',
    });
    expect(result.listed).toEqual(['data.json', 'ok-name', 'report.md']);
    expect(result.readBack['report.md']).toBe('# Report');

    expect(done.usage).toEqual({ tokens: 1_234, costUsd: 0.5 });
    // Completion sets progress to 1; the last message stays.
    expect(done.progress).toBe(1);
    expect(done.progressMessage).toBe('reported');
    const logs = await kiln.jobs.logs(job.id);
    expect(logs.map((l) => [l.level, l.message, l.fields, l.attempt])).toEqual([
      ['info', 'first', { i: 0 }, 1],
      ['info', 'second', { i: 1 }, 1],
      ['warn', 'a warning', { level: 'w' }, 1],
    ]);
    expect((await kiln.jobs.logs(job.id, { afterId: logs[0]!.id })).map((l) => l.message)).toEqual([
      'second',
      'a warning',
    ]);
    const artifacts = await kiln.artifacts.list(job.id);
    expect(artifacts.map((a) => [a.name, a.sizeBytes, a.contentType])).toEqual([
      ['data.json', 7, 'text/plain'],
      ['ok-name', 4, null],
      ['report.md', 8, 'text/plain'],
    ]);
    expect((await kiln.artifacts.read(job.id, 'data.json')).toString()).toBe('{"a":1}');
    expect((await rejection(kiln.artifacts.read(job.id, 'missing'))).code).toBe(
      'ARTIFACT_NOT_FOUND',
    );
  });

  test('progress never goes backwards within an attempt; an equal value may bring a new message', async () => {
    const { kiln, work } = await openKiln({ jobs });
    const key = newKey();
    const job = await kiln.enqueue(reporterJob, {
      key,
      reports: [
        [0.2, 'a'],
        [0.6, 'b'],
        [0.4, 'c'],
        [0.6, 'd'],
        [0.1, 'e'],
      ],
    });
    work();
    const seen: number[] = [];
    const held = await waitForJob(kiln, job.id, (j) => {
      seen.push(j.progress);
      return j.progressMessage === 'd';
    });
    expect(held.progress).toBe(0.6);
    expect(held.state).toBe('running');
    expect([...seen].sort((x, y) => x - y)).toEqual(seen);
    gates.open(key);
    await waitForJob(kiln, job.id, 'completed');
  });

  test('the context may be destructured: its methods need no `this`', async () => {
    const destructured = defineJob({
      type: 'destructured',
      params: z.object({}),
      run: ({ progress, log, usage, heartbeat, signal, jobId }) => {
        progress(0.5, 'half');
        log('warn', 'from a destructured log', { n: 1 });
        usage({ tokens: 7, costUsd: 0.25 });
        heartbeat({ step: 1 });
        return { aborted: signal.aborted, jobId };
      },
    });
    const { kiln, work } = await openKiln({ jobs: [destructured] });
    const job = await kiln.enqueue(destructured, {});
    work();
    const done = await waitForJob(kiln, job.id, 'completed');
    expect(done).toMatchObject({
      result: { aborted: false, jobId: job.id },
      progressMessage: 'half',
      usage: { tokens: 7, costUsd: 0.25 },
    });
    const logs = await kiln.jobs.logs(job.id);
    expect(logs.map((l) => [l.level, l.message, l.fields])).toEqual([
      ['warn', 'from a destructured log', { n: 1 }],
    ]);
  });

  test('a progress value out of range throws in the handler (INVALID_ARGUMENT)', async () => {
    const { kiln, work } = await openKiln({ jobs });
    const key = newKey();
    gates.open(key);
    const job = await kiln.enqueue(reporterJob, { key, reports: [[1.5, 'too far']] });
    work();
    const failed = await waitForJob(kiln, job.id, 'failed');
    expect(failed.error?.code).toBe('INVALID_ARGUMENT');
    expect(failed.progress).toBe(0);
  });
});

describe('outcomes', () => {
  test('a result is stored as returned', async () => {
    const { kiln, work } = await openKiln({ jobs });
    const job = await kiln.enqueue(testJob, { value: { nested: [1, 'two', null] } });
    work();
    const done = await waitForJob(kiln, job.id, 'completed');
    expect(done.result).toEqual({ value: { nested: [1, 'two', null] }, attempt: 1 });
    expect(done.error).toBeNull();
    expect(done.finishedAt!.getTime()).toBeGreaterThanOrEqual(done.startedAt!.getTime());
    expect(done.expiresAt!.getTime()).toBe(done.finishedAt!.getTime() + done.retentionMs);
    expect(done.leaseExpiresAt).toBeNull();
  });

  test('retries with exponential backoff, then fails with the attempts spent', async () => {
    const { kiln, work } = await openKiln({ jobs });
    const key = newKey();
    const job = await kiln.enqueue(flakyJob, { key });
    const worker = work();
    const fails: { attempt: number; retrying: boolean }[] = [];
    worker.events.on('job:fail', ({ attempt, retrying }) => fails.push({ attempt, retrying }));
    const failed = await waitForJob(kiln, job.id, 'failed');
    expect(failed.attempt).toBe(3);
    expect(failed.maxAttempts).toBe(3);
    expect(failed.error).toMatchObject({ message: 'flaky attempt 3', code: 'E_FLAKY' });
    expect(failed.error!.stack).toContain('flaky attempt 3');
    expect(fails).toEqual([
      { attempt: 1, retrying: true },
      { attempt: 2, retrying: true },
      { attempt: 3, retrying: false },
    ]);
    const [t1, t2, t3] = startTimes.get(key)!;
    // baseMs 200, doubling, no jitter: 200 ms, then 400 ms between attempts.
    expect(t2! - t1!).toBeGreaterThanOrEqual(200);
    expect(t3! - t2!).toBeGreaterThanOrEqual(400);
  });

  test('between attempts the job is pending with the last error and a later runAt', async () => {
    const { kiln, work } = await openKiln({ jobs });
    const job = await kiln.enqueue(flakyJob, { key: newKey() });
    work();
    const waiting = await waitForJob(kiln, job.id, (j) => j.state === 'pending' && j.attempt === 1);
    expect(waiting.error?.message).toBe('flaky attempt 1');
    expect(waiting.runAt.getTime()).toBeGreaterThan(job.runAt.getTime());
    await waitForJob(kiln, job.id, 'failed');
  });

  test('NonRetryableError fails at once, with its code', async () => {
    const { kiln, work } = await openKiln({ jobs });
    const job = await kiln.enqueue(testJob, { action: 'throw-final' });
    work();
    const failed = await waitForJob(kiln, job.id, 'failed');
    expect(failed.attempt).toBe(1);
    expect(failed.error).toMatchObject({ message: 'failing for good', code: 'TEST_FINAL' });
  });

  test("the type's nonRetryable predicate fails at once", async () => {
    const { kiln, work } = await openKiln({ jobs });
    const job = await kiln.enqueue(pickyJob, {});
    work();
    const failed = await waitForJob(kiln, job.id, 'failed');
    expect(failed.attempt).toBe(1);
    expect(failed.maxAttempts).toBe(5);
    expect(failed.error?.message).toBe('refused by the remote');
  });

  test('timeoutMs fires the signal and fails the attempt with TIMEOUT', async () => {
    const { kiln, work } = await openKiln({ jobs });
    const key = newKey();
    const job = await kiln.enqueue(slowJob, { key });
    work();
    const failed = await waitForJob(kiln, job.id, 'failed');
    expect(failed.error?.code).toBe('TIMEOUT');
    expect((aborted.get(key) as KilnError).code).toBe('TIMEOUT');
    const took = failed.finishedAt!.getTime() - failed.startedAt!.getTime();
    expect(took).toBeGreaterThanOrEqual(200);
    expect(took).toBeLessThan(4_000);
  });

  test('heartbeatTimeoutMs catches a hung handler', async () => {
    const { kiln, work } = await openKiln({ jobs });
    // 'hang' ignores its signal and never reports; the type allows 300 ms of silence.
    const job = await kiln.enqueue(watchedJob, { action: 'hang', ms: 3_000 });
    work();
    const failed = await waitForJob(kiln, job.id, 'failed');
    expect(failed.error?.code).toBe('HEARTBEAT_TIMEOUT');
    expect(failed.attempt).toBe(1);
    const took = failed.finishedAt!.getTime() - failed.startedAt!.getTime();
    expect(took).toBeGreaterThanOrEqual(300);
    expect(took).toBeLessThan(2_500);
  });

  test('a handler that reports progress often is not taken for hung', async () => {
    const { kiln, work } = await openKiln({ jobs });
    // 2.5 s of work, a report every 125 ms, under a 1 s heartbeat timeout.
    const job = await kiln.enqueue(watchedJob, { action: 'progress', ms: 2_500, steps: 20 });
    work();
    const done = await waitForJob(kiln, job.id, 'completed');
    expect(done.progressMessage).toBe('step 20/20');
  });

  test('params are validated again at claim: a bad stored row fails at once with VALIDATION_FAILED', async () => {
    const { kiln, work } = await openKiln({ jobs });
    const [inserted] = await kiln.store.insertJobs([
      {
        id: newId(),
        type: 'test',
        name: 'smuggled',
        paramsJson: JSON.stringify({ action: 'explode' }),
        batchId: null,
        idempotencyKey: null,
        priority: 0,
        delayMs: 0,
        maxAttempts: 3,
        retentionMs: 60_000,
      },
    ]);
    work();
    const failed = await waitForJob(kiln, inserted!.id, 'failed');
    expect(failed.attempt).toBe(1);
    expect(failed.error?.code).toBe('VALIDATION_FAILED');
    expect(failed.error?.message).toContain('action');
  });
});

describe('untyped arguments', () => {
  test('jobs.list and jobs.get refuse values of the wrong type with INVALID_ARGUMENT, not a database error', async () => {
    const { kiln } = await openKiln({ jobs: [] });
    const bad: unknown[] = [
      () => kiln.jobs.list({ batchId: {} as never }),
      () => kiln.jobs.list({ state: 'bogus' as never }),
      () => kiln.jobs.list({ state: ['pending', 'nope'] as never }),
      () => kiln.jobs.list({ type: 7 as never }),
      () => kiln.jobs.list({ cursor: 5 as never }),
      () => kiln.jobs.get(42 as never),
    ];
    for (const call of bad) {
      await expect((call as () => Promise<unknown>)()).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
    }
  });
});

describe('artifact folders', () => {
  test('kiln.artifacts.path names the folder that holds a job’s files on the embedded store, and is null on PostgreSQL', async () => {
    const { kiln, work, dir, kind } = await openKiln({ jobs: [richJob] });
    work();
    const job = await kiln.enqueue(richJob, { files: { 'a.md': '# a', 'b.json': '{}' } });
    await waitForJob(kiln, job.id, 'completed');
    expect(() => kiln.artifacts.path('../etc')).toThrow(KilnError);
    if (kind === 'postgres') {
      // Artifacts live in the database, readable through any instance on any machine.
      expect(kiln.artifacts.path(job.id)).toBeNull();
      expect((await kiln.artifacts.read(job.id, 'a.md')).toString()).toBe('# a');
      return;
    }
    const folder = kiln.artifacts.path(job.id)!;
    expect(folder).toBe(join(dir, 'artifacts', job.id));
    const names = (await kiln.artifacts.list(job.id)).map((a) => a.name).sort();
    expect(readdirSync(folder).sort()).toEqual(names);
    expect(() => kiln.artifacts.path('../etc')).toThrow(KilnError);
  });
});
