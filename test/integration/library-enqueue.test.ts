import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { defineJob, type EnqueueItem, Kiln, KilnError } from '../../src/index.ts';
import { rejection, useKiln, waitForJob } from '../support/library.ts';
import { testJob, testJobs } from '../support/test-jobs.ts';

const openKiln = useKiln();

async function countJobs(kiln: Awaited<ReturnType<typeof openKiln>>['kiln']): Promise<number> {
  return (await kiln.jobs.list({ limit: 1_000 })).items.length;
}

describe('enqueue', () => {
  test('stores a pending job with validated params (defaults applied)', async () => {
    const { kiln } = await openKiln({ jobs: testJobs });
    const job = await kiln.enqueue(testJob, { action: 'sleep', ms: 5 }, { name: 'first' });
    expect(job.created).toBe(true);
    expect(job).toMatchObject({
      type: 'test',
      name: 'first',
      state: 'pending',
      attempt: 0,
      maxAttempts: 3,
      priority: 0,
      progress: 0,
      batchId: null,
    });
    expect(job.params).toEqual({ action: 'sleep', ms: 5, steps: 10 });
    const stored = await kiln.jobs.get(job.id);
    expect(stored?.params).toEqual(job.params);
  });

  test('invalid params are refused with VALIDATION_FAILED and nothing is stored', async () => {
    const { kiln } = await openKiln({ jobs: testJobs });
    const error = await rejection(kiln.enqueue('test', { action: 'explode', ms: -1 }));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.status).toBe(400);
    const paths = (error.details as { issues: { path: string }[] }).issues.map((i) => i.path);
    expect(paths.sort()).toEqual(['action', 'ms']);
    expect(await countJobs(kiln)).toBe(0);
    expect(await kiln.store.changesSince(0, {}, 10)).toEqual([]);
  });

  test('an unknown job type is refused, naming the known ones', async () => {
    const { kiln } = await openKiln({ jobs: [testJob] });
    const error = await rejection(kiln.enqueue('tset', {}));
    expect(error.code).toBe('UNKNOWN_JOB_TYPE');
    expect(error.message).toContain('known: test');
    expect(await countJobs(kiln)).toBe(0);
  });

  test('an unknown option is refused with a did-you-mean', async () => {
    const { kiln } = await openKiln({ jobs: testJobs });
    const error = await rejection(
      kiln.enqueue(testJob, {}, { priorty: 3 } as unknown as { priority: number }),
    );
    expect(error.code).toBe('UNKNOWN_OPTION');
    expect(error.message).toContain('did you mean `priority`');
    expect(await countJobs(kiln)).toBe(0);
  });

  test.each([
    [{ priority: 1.5 }],
    [{ priority: 2_000_000 }],
    [{ runAt: 'not a date' as unknown as Date }],
    [{ idempotencyKey: '' }],
    [{ idempotencyKey: 'k'.repeat(256) }],
  ])('bad options %j are refused with INVALID_ARGUMENT', async (options) => {
    const { kiln } = await openKiln({ jobs: testJobs });
    expect((await rejection(kiln.enqueue(testJob, {}, options))).code).toBe('INVALID_ARGUMENT');
    expect(await countJobs(kiln)).toBe(0);
  });

  test('a name or key that is not 1-200 (key: 1-255) characters or holds a NUL is refused on every store, and nothing is stored', async () => {
    const { kiln } = await openKiln({ jobs: testJobs });
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ name: 'a\u0000b' }, /^name must not hold a NUL/],
      [{ name: '' }, /^name must be a string of 1-200 characters, got 0 characters/],
      [{ name: 'x'.repeat(201) }, /got 201 characters$/],
      [{ name: 7 }, /got number$/],
      [{ idempotencyKey: 'k\u0000' }, /^idempotencyKey must not hold a NUL/],
      [{ idempotencyKey: 'k'.repeat(256) }, /^idempotencyKey must be a string of 1-255/],
    ];
    for (const [options, message] of bad) {
      const error = await rejection(kiln.enqueue(testJob, {}, options));
      expect(error.code, JSON.stringify(options)).toBe('INVALID_ARGUMENT');
      expect(error.message).toMatch(message);
      // A batch's jobs take no idempotency key: that is an unknown option there.
      const batch = await rejection(
        kiln.batches.create({ jobs: [{ type: 'test', params: {}, ...options }] }),
      );
      expect(batch.code, JSON.stringify(options)).toBe(
        'name' in options ? 'INVALID_ARGUMENT' : 'UNKNOWN_OPTION',
      );
    }
    const named = await rejection(
      kiln.batches.create({ name: 'b\u0000', jobs: [{ type: 'test', params: {} }] }),
    );
    expect(named.message).toMatch(/^name must not hold a NUL/);
    expect(await countJobs(kiln)).toBe(0);
    expect((await kiln.batches.list()).items).toEqual([]);
    // A NUL in params is stored: JSON escapes it.
    const job = await kiln.enqueue(testJob, { value: 'v\u0000' }, { name: 'ok' });
    expect((await kiln.jobs.get(job.id))?.params).toMatchObject({ value: 'v\u0000' });
  });

  test('params JSON cannot hold (a BigInt the schema allows) are refused with INVALID_ARGUMENT, and nothing is stored', async () => {
    const bigJob = defineJob({
      type: 'big',
      params: z.object({ n: z.bigint() }),
      run: () => null,
    });
    const { kiln } = await openKiln({ jobs: [bigJob] });
    const error = await rejection(kiln.enqueue(bigJob, { n: 10n }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/^params must be a value JSON can hold: /);
    const many = await rejection(kiln.enqueueMany([{ job: bigJob, params: { n: 1n } }]));
    expect(many.code).toBe('INVALID_ARGUMENT');
    expect(await countJobs(kiln)).toBe(0);
  });

  test('a job definition passed directly is registered on the fly', async () => {
    const { kiln } = await openKiln();
    const adhoc = defineJob({ type: 'adhoc', params: z.object({ x: z.number() }), run: () => 1 });
    const job = await kiln.enqueue(adhoc, { x: 1 });
    expect(job.type).toBe('adhoc');
    expect(kiln.jobTypes.map((d) => d.type)).toEqual(['adhoc']);
    // A different definition under the same name is refused.
    const twin = defineJob({ type: 'adhoc', params: z.object({}), run: () => 2 });
    expect(() => kiln.define(twin)).toThrow(/defined twice/);
  });

  test('a closed instance refuses with STORE_CLOSED', async () => {
    const { kiln } = await openKiln({ jobs: testJobs });
    await kiln.close();
    expect((await rejection(kiln.enqueue(testJob, {}))).code).toBe('STORE_CLOSED');
  });
});

describe('enqueueMany', () => {
  test('inserts every job in one transaction', async () => {
    const { kiln } = await openKiln({ jobs: testJobs });
    const inserted = await kiln.enqueueMany(
      Array.from({ length: 50 }, (_, i) => ({ job: testJob, params: { value: i } })),
    );
    expect(inserted).toHaveLength(50);
    expect(inserted.every((j) => j.created)).toBe(true);
    expect(await countJobs(kiln)).toBe(50);
    const jobs = await Promise.all(inserted.map((j) => kiln.jobs.get(j.id)));
    // One commit, one feed position, for all of them.
    expect(new Set(jobs.map((j) => j!.seq)).size).toBe(1);
    expect(jobs.map((j) => (j!.params as { value: number }).value)).toEqual(
      Array.from({ length: 50 }, (_, i) => i),
    );
  });

  test('names, keys and params keep every character an array literal treats specially', async () => {
    const { kiln } = await openKiln({ jobs: testJobs });
    const texts = [
      'NULL',
      'null',
      '"quoted"',
      'back\\slash\\',
      '{braces}',
      'a,b',
      ' spaced ',
      "it's",
      'é ✓ 😀',
    ];
    const inserted = await kiln.enqueueMany(
      texts.map((t) => ({
        job: testJob,
        params: { value: t },
        options: { name: t, idempotencyKey: `key ${t}` },
      })),
    );
    expect(inserted.every((j) => j.created)).toBe(true);
    const jobs = await Promise.all(inserted.map((j) => kiln.jobs.get(j.id)));
    expect(
      jobs.map((j) => [j!.name, j!.idempotencyKey, (j!.params as { value: string }).value]),
    ).toEqual(texts.map((t) => [t, `key ${t}`, t]));
  });

  test('is all-or-nothing: one invalid item stores none', async () => {
    const { kiln } = await openKiln({ jobs: testJobs });
    const items = [
      { job: testJob, params: { value: 1 } },
      { job: testJob, params: { value: 2 } },
      { job: 'test', params: { action: 'nope' } },
      { job: testJob, params: { value: 4 } },
    ];
    const error = await rejection(kiln.enqueueMany(items));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(await countJobs(kiln)).toBe(0);
    const unknown = await rejection(
      kiln.enqueueMany([
        { job: testJob, params: {} },
        { job: 'missing', params: {} },
      ]),
    );
    expect(unknown.code).toBe('UNKNOWN_JOB_TYPE');
    expect(await countJobs(kiln)).toBe(0);
  });

  test('an item of the wrong shape is named, with what it lacks, and nothing is stored', async () => {
    const { kiln } = await openKiln({ jobs: testJobs });
    const shaped = (items: unknown) => rejection(kiln.enqueueMany(items as EnqueueItem[]));
    const noJob = await shaped([{ job: testJob, params: {} }, { params: {} }]);
    expect(noJob.code).toBe('INVALID_ARGUMENT');
    expect(noJob.message).toBe(
      'enqueueMany item 1 has no `job` (a defineJob() result or a job type name)',
    );
    const misnamed = await shaped([{ type: 'test', params: {} }]);
    expect(misnamed.code).toBe('UNKNOWN_OPTION');
    expect(misnamed.message).toContain('unknown enqueueMany item 0 option `type`');
    expect((await shaped([null])).message).toBe('enqueueMany item 0 is not an object');
    expect((await shaped({ job: testJob })).code).toBe('INVALID_ARGUMENT');
    expect(await countJobs(kiln)).toBe(0);
  });
});

describe('concurrent enqueues (grouped)', () => {
  test('share transactions; each caller gets its own job, durable when its promise resolves', async () => {
    const { kiln } = await openKiln({ jobs: testJobs });
    const store = kiln.store;
    const calls: number[] = [];
    const insertJobs = store.insertJobs.bind(store);
    store.insertJobs = async (rows, batch) => {
      calls.push(rows.length);
      return insertJobs(rows, batch);
    };
    const jobs = await Promise.all(
      Array.from({ length: 200 }, (_, i) => kiln.enqueue(testJob, { value: i })),
    );
    expect(jobs.map((j) => j.params.value)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(new Set(jobs.map((j) => j.id)).size).toBe(200);
    expect(calls.reduce((a, b) => a + b, 0)).toBe(200);
    expect(calls.length).toBeLessThan(200);
    expect(await countJobs(kiln)).toBe(200);
  });

  test('the same idempotency key twice in one group: one job, created once', async () => {
    const { kiln } = await openKiln({ jobs: testJobs });
    const [a, b] = await Promise.all([
      kiln.enqueue(testJob, { value: 'a' }, { idempotencyKey: 'same' }),
      kiln.enqueue(testJob, { value: 'b' }, { idempotencyKey: 'same' }),
    ]);
    expect(a.id).toBe(b.id);
    expect([a.created, b.created].sort()).toEqual([false, true]);
    expect(await countJobs(kiln)).toBe(1);
  });

  test('a group that fails is retried job by job: one failure is not the others', async () => {
    const { kiln } = await openKiln({ jobs: testJobs });
    const store = kiln.store;
    const insertJobs = store.insertJobs.bind(store);
    store.insertJobs = async (rows, batch) => {
      if (rows.some((r) => (JSON.parse(r.paramsJson) as { value?: unknown }).value === 'poison')) {
        throw new Error('the store refused this transaction');
      }
      return insertJobs(rows, batch);
    };
    const results = await Promise.allSettled([
      kiln.enqueue(testJob, { value: 1 }),
      kiln.enqueue(testJob, { value: 'poison' }),
      kiln.enqueue(testJob, { value: 3 }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await countJobs(kiln)).toBe(2);
  });
});

describe('idempotency keys', () => {
  test('a second enqueue with the same key returns the first job, created: false', async () => {
    const { kiln } = await openKiln({ jobs: testJobs });
    const first = await kiln.enqueue(testJob, { value: 'first' }, { idempotencyKey: 'order-42' });
    const second = await kiln.enqueue(testJob, { value: 'second' }, { idempotencyKey: 'order-42' });
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.id).toBe(first.id);
    expect(second.params).toEqual(first.params);
    expect(second.idempotencyKey).toBe('order-42');
    expect(await countJobs(kiln)).toBe(1);
    const other = await kiln.enqueue(testJob, { value: 'other' }, { idempotencyKey: 'order-43' });
    expect(other.created).toBe(true);
    expect(await countJobs(kiln)).toBe(2);
  });

  test('within enqueueMany, and across it', async () => {
    const { kiln } = await openKiln({ jobs: testJobs });
    const one = await kiln.enqueue(testJob, {}, { idempotencyKey: 'a' });
    const inserted = await kiln.enqueueMany([
      { job: testJob, params: {}, options: { idempotencyKey: 'a' } },
      { job: testJob, params: {}, options: { idempotencyKey: 'b' } },
      { job: testJob, params: {}, options: { idempotencyKey: 'b' } },
    ]);
    expect(inserted[0]).toEqual({ id: one.id, created: false });
    expect(inserted[1]!.created).toBe(true);
    expect(inserted[2]).toEqual({ id: inserted[1]!.id, created: false });
    expect(await countJobs(kiln)).toBe(2);
  });

  test('jobs skipped by their key leave every other job with its own params', async () => {
    const { kiln } = await openKiln({ jobs: testJobs });
    await kiln.enqueue(testJob, { value: 'first' }, { idempotencyKey: 'k' });
    // More than one INSERT statement's worth of rows, with skipped ones among them and last.
    const items = Array.from({ length: 250 }, (_, i) => ({
      job: testJob,
      params: { value: i },
      options: i % 60 === 7 || i === 249 ? { idempotencyKey: 'k' } : {},
    }));
    const inserted = await kiln.enqueueMany(items);
    expect(inserted.filter((r) => !r.created)).toHaveLength(6);
    for (const [i, r] of inserted.entries()) {
      const job = (await kiln.jobs.get(r.id))!;
      expect(job.params).toMatchObject({ value: r.created ? i : 'first' });
    }
    // The next job takes the row the skipped last one would have had.
    const next = await kiln.enqueue(testJob, { value: 'next' });
    expect((await kiln.jobs.get(next.id))!.params).toMatchObject({ value: 'next' });
    expect(await countJobs(kiln)).toBe(246);
  });
});

describe('claim order and scheduling', () => {
  // With a capped type among the worker's types the claim takes another path: test both.
  test.each([
    ['uncapped types only', [testJob]],
    ['a capped type too', testJobs],
  ])('higher priority first, then oldest first (%s)', async (_, jobs) => {
    const { kiln, work } = await openKiln({ jobs });
    const priorities = [0, 5, 0, -3, 10, 5, 0];
    const ids: string[] = [];
    for (const priority of priorities) ids.push((await kiln.enqueue(testJob, {}, { priority })).id);
    const started: string[] = [];
    const worker = work({ concurrency: 1 });
    worker.events.on('job:start', ({ id }) => started.push(id));
    await waitForJob(kiln, ids[3]!, 'completed');
    const expected = [4, 1, 5, 0, 2, 6, 3].map((i) => ids[i]!);
    expect(started).toEqual(expected);
    // The stored start times agree with the order.
    const startedAt = await Promise.all(
      expected.map(async (id) => (await kiln.jobs.get(id))!.startedAt!.getTime()),
    );
    expect([...startedAt].sort((a, b) => a - b)).toEqual(startedAt);
  });

  test('a job does not start before its runAt; a later job without delay runs first', async () => {
    const { kiln, work } = await openKiln({ jobs: testJobs });
    const runAt = new Date(Date.now() + 700);
    const delayed = await kiln.enqueue(testJob, { value: 'later' }, { runAt });
    // Stored as a delay on the store's clock: never earlier than asked, at most the enqueue's latency later.
    expect(delayed.runAt.getTime()).toBeGreaterThanOrEqual(runAt.getTime());
    expect(delayed.runAt.getTime() - runAt.getTime()).toBeLessThan(500);
    const now = await kiln.enqueue(testJob, { value: 'now' });
    const worker = work();
    const started: string[] = [];
    worker.events.on('job:start', ({ id }) => started.push(id));
    const done = await waitForJob(kiln, delayed.id, 'completed');
    expect(done.startedAt!.getTime()).toBeGreaterThanOrEqual(runAt.getTime());
    expect(started).toEqual([now.id, delayed.id]);
    const first = (await kiln.jobs.get(now.id))!;
    expect(first.finishedAt!.getTime()).toBeLessThan(runAt.getTime());
  });

  test('a runAt in the past runs at once', async () => {
    const { kiln, work } = await openKiln({ jobs: testJobs });
    const job = await kiln.enqueue(testJob, {}, { runAt: Date.now() - 60_000 });
    work();
    await waitForJob(kiln, job.id, 'completed');
  });
});

describe('configuration errors', () => {
  test('Kiln.open refuses unknown options and bad store URLs', async () => {
    const open = (options: object) => Kiln.open(options).catch((e: unknown) => e as KilnError);
    const typo = await open({ stor: 'sqlite:x.db' });
    expect(typo).toMatchObject({ code: 'UNKNOWN_OPTION' });
    expect((typo as KilnError).message).toContain('did you mean `store`');
    expect(await open({ store: 'sqlite::memory:' })).toMatchObject({ code: 'INVALID_STORE_URL' });
    expect(await open({ store: 'mysql://x' })).toMatchObject({ code: 'INVALID_STORE_URL' });
  });

  test('work() refuses unknown options, unknown types and a lease shorter than its renewal', async () => {
    const { kiln } = await openKiln({ jobs: testJobs });
    const refusal = (options: object) => {
      try {
        kiln.work(options);
      } catch (error) {
        return error as KilnError;
      }
      throw new Error('expected work() to refuse');
    };
    const typo = refusal({ concurency: 5 });
    expect(typo.code).toBe('UNKNOWN_OPTION');
    expect(typo.message).toBe('unknown work option `concurency`, did you mean `concurrency`?');
    expect(refusal({ types: ['nope'] }).code).toBe('UNKNOWN_JOB_TYPE');
    expect(refusal({ leaseMs: 1_000, renewEveryMs: 1_000 }).code).toBe('INVALID_ARGUMENT');
    expect(refusal({ concurrency: 0 }).code).toBe('INVALID_ARGUMENT');
  });

  test('a worker needs at least one job type', async () => {
    const { kiln } = await openKiln();
    expect(() => kiln.work()).toThrow(KilnError);
  });
});
