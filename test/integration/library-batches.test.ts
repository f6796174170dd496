import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { type Batch, defineJob, defineTemplate, NonRetryableError } from '../../src/index.ts';
import { waitFor } from '../support/helpers.ts';
import { Gates, rejection, useKiln, waitForJob } from '../support/library.ts';
import { testJob, testJobs } from '../support/test-jobs.ts';

const openKiln = useKiln();
const gates = new Gates();
const aborted = new Set<string>();
/** Keys whose next run should fail (for retryFailed). */
const failing = new Set<string>();

/** Spends, reports half progress, then waits for the test to open its gate. */
const gatedJob = defineJob({
  type: 'gated',
  params: z.object({
    key: z.string(),
    tokens: z.number().default(0),
    costUsd: z.number().default(0),
  }),
  retry: { attempts: 1 },
  run: async (ctx) => {
    ctx.signal.addEventListener('abort', () => aborted.add(ctx.params.key));
    ctx.usage({ tokens: ctx.params.tokens, costUsd: ctx.params.costUsd });
    ctx.progress(0.5, 'halfway');
    await gates.wait(ctx.params.key, ctx.signal);
    if (failing.has(ctx.params.key)) throw new NonRetryableError(`${ctx.params.key} fails`);
    return { key: ctx.params.key };
  },
});

const lessonJob = defineJob({
  type: 'lesson',
  params: z.object({
    subject: z.string(),
    grade: z.number().int(),
    style: z.string(),
    length: z.number(),
  }),
  run: (ctx) => `${ctx.params.subject}/${ctx.params.grade}`,
});

const jobs = [...testJobs, gatedJob, lessonJob];

let keyCounter = 0;
const newKey = () => `k${++keyCounter}`;

describe('creating batches', () => {
  test('from a list: one job per entry, each with its own name and priority', async () => {
    const { kiln } = await openKiln({ jobs });
    const batch = await kiln.batches.create({
      name: 'list',
      metadata: { owner: 'ann' },
      jobs: [
        { type: testJob, params: { value: 1 }, name: 'one' },
        { type: 'test', params: { value: 2 }, name: 'two', priority: 7 },
        { type: 'lesson', params: { subject: 'math', grade: 1, style: 's', length: 1 } },
      ],
    });
    expect(batch).toMatchObject({
      name: 'list',
      metadata: { owner: 'ann' },
      template: null,
      state: 'pending',
      paused: false,
      cancelled: false,
      counts: { total: 3, pending: 3, running: 0, completed: 0, failed: 0, cancelled: 0 },
      progress: 0,
      startedAt: null,
      finishedAt: null,
      etaMs: null,
    });
    const listed = (await kiln.jobs.list({ batchId: batch.id })).items;
    expect(listed.map((j) => [j.name, j.priority, j.type]).sort()).toEqual(
      [
        ['one', 0, 'test'],
        ['two', 7, 'test'],
        [null, 0, 'lesson'],
      ].sort(),
    );
    expect((await kiln.batches.list()).items.map((b) => b.id)).toEqual([batch.id]);
  });

  test('is all-or-nothing: one invalid job creates no batch and no jobs', async () => {
    const { kiln } = await openKiln({ jobs });
    const error = await rejection(
      kiln.batches.create({
        jobs: [
          { type: testJob, params: {} },
          { type: testJob, params: { action: 'bogus' } },
        ],
      }),
    );
    expect(error.code).toBe('VALIDATION_FAILED');
    expect((await kiln.batches.list()).items).toEqual([]);
    expect((await kiln.jobs.list()).items).toEqual([]);
    expect((await rejection(kiln.batches.create({ jobs: [] }))).code).toBe('INVALID_ARGUMENT');
    expect((await rejection(kiln.batches.create({ template: 'missing' }))).code).toBe(
      'TEMPLATE_NOT_FOUND',
    );
  });

  test('from a template saved in the store and a grid: 3×3 jobs with merged params and names', async () => {
    const { kiln } = await openKiln({ jobs });
    const saved = await kiln.templates.save({
      name: 'lessons',
      type: 'lesson',
      description: 'three subjects',
      params: { style: 'brief', length: 1 },
      grid: { subject: ['x'], grade: [0] },
    });
    expect(saved).toMatchObject({
      name: 'lessons',
      source: 'store',
      description: 'three subjects',
    });
    const batch = await kiln.batches.create({
      template: 'lessons',
      params: { length: 5 },
      grid: { subject: ['math', 'art', 'music'], grade: [1, 2, 3] },
    });
    expect(batch.name).toBe('lessons');
    expect(batch.template).toBe('lessons');
    expect(batch.counts.total).toBe(9);
    const listed = (await kiln.jobs.list({ batchId: batch.id })).items;
    const byName = new Map(listed.map((j) => [j.name, j.params]));
    const expectedNames: string[] = [];
    for (const subject of ['math', 'art', 'music'])
      for (const grade of [1, 2, 3]) {
        const name = `subject=${subject}, grade=${grade}`;
        expectedNames.push(name);
        // Template params, then the batch's params over them, then the grid cell's values.
        expect(byName.get(name)).toEqual({ subject, grade, style: 'brief', length: 5 });
      }
    expect([...byName.keys()].sort()).toEqual([...expectedNames].sort());
    // Ids are time-ordered: oldest first is grid order.
    expect([...listed].reverse().map((j) => j.name)).toEqual(expectedNames);
  });

  test("the template's own grid is used when the batch gives none", async () => {
    const { kiln } = await openKiln({ jobs });
    await kiln.templates.save({
      name: 'small',
      type: 'lesson',
      params: { style: 's', length: 2, grade: 4 },
      grid: { subject: ['a', 'b'] },
    });
    const batch = await kiln.batches.create({ template: 'small', name: 'mine' });
    expect(batch.name).toBe('mine');
    expect(batch.counts.total).toBe(2);
  });

  test('templates defined in code are written on open, listed, and usable', async () => {
    const { kiln } = await openKiln({
      jobs,
      templates: [
        defineTemplate({
          name: 'code-lessons',
          type: lessonJob,
          params: { style: 'long', length: 3 },
          grid: { subject: ['math', 'art'], grade: [1, 2] },
        }),
      ],
    });
    const templates = await kiln.templates.list();
    expect(templates.map((t) => [t.name, t.source, t.type])).toEqual([
      ['code-lessons', 'code', 'lesson'],
    ]);
    const batch = await kiln.batches.create({ template: 'code-lessons' });
    expect(batch.counts.total).toBe(4);
    const params = (await kiln.jobs.list({ batchId: batch.id })).items.map((j) => j.params);
    expect(params).toContainEqual({ subject: 'art', grade: 2, style: 'long', length: 3 });
  });

  test('a template with params its job type refuses fails the batch at creation', async () => {
    const { kiln } = await openKiln({ jobs });
    await kiln.templates.save({ name: 'bad', type: 'lesson', params: { style: 1 } });
    const error = await rejection(
      kiln.batches.create({ template: 'bad', grid: { subject: ['a'], grade: [1] } }),
    );
    expect(error.code).toBe('VALIDATION_FAILED');
    expect((await kiln.batches.list()).items).toEqual([]);
  });

  test('templates: unknown type, bad name and bad grid are refused; delete works', async () => {
    const { kiln } = await openKiln({ jobs });
    expect((await rejection(kiln.templates.save({ name: 't', type: 'nope' }))).code).toBe(
      'UNKNOWN_JOB_TYPE',
    );
    expect((await rejection(kiln.templates.save({ name: '../t', type: 'lesson' }))).code).toBe(
      'INVALID_ARGUMENT',
    );
    expect(
      (await rejection(kiln.templates.save({ name: 't', type: 'lesson', grid: { a: [] } }))).code,
    ).toBe('INVALID_ARGUMENT');
    await kiln.templates.save({ name: 't', type: 'lesson' });
    expect((await kiln.templates.get('t'))?.type).toBe('lesson');
    expect(await kiln.templates.delete('t')).toBe(true);
    expect(await kiln.templates.get('t')).toBeNull();
    expect(await kiln.templates.delete('t')).toBe(false);
  });
});

describe('batch aggregate', () => {
  test('counts, progress, usage, times, ETA and state as the batch runs', async () => {
    const { kiln, work } = await openKiln({ jobs });
    const keys = [newKey(), newKey(), newKey(), newKey()];
    const batch = await kiln.batches.create({
      name: 'agg',
      jobs: keys.map((key, i) => ({
        type: gatedJob,
        params: { key, tokens: 100 * (i + 1), costUsd: 0.25 },
      })),
    });
    failing.add(keys[3]!);
    expect(batch.state).toBe('pending');
    const t0 = Date.now();
    work({ concurrency: 4 });
    const running = await waitFor(async () => {
      const b = (await kiln.batches.get(batch.id))!;
      // Every handler has started and its half progress and usage are written.
      return b.counts.running === 4 && b.usage.tokens === 1_000 && b.progress === 0.5 ? b : null;
    });
    expect(running.state).toBe('running');
    expect(running.usage.costUsd).toBeCloseTo(1);
    expect(running.startedAt!.getTime()).toBeGreaterThanOrEqual(t0 - 5);
    expect(running.finishedAt).toBeNull();

    gates.open(keys[0]!);
    const oneDone = await waitFor(async () => {
      const b = (await kiln.batches.get(batch.id))!;
      return b.counts.completed === 1 ? b : null;
    });
    expect(oneDone.state).toBe('running');
    expect(oneDone.counts).toEqual({
      total: 4,
      pending: 0,
      running: 3,
      completed: 1,
      failed: 0,
      cancelled: 0,
    });
    // One finished (1) and three at 0.5, over four.
    expect(oneDone.progress).toBeCloseTo(2.5 / 4);
    expect(oneDone.etaMs).not.toBeNull();
    expect(oneDone.etaMs!).toBeGreaterThanOrEqual(0);
    expect(oneDone.finishedAt).toBeNull();

    for (const key of keys.slice(1)) gates.open(key);
    const done = await waitFor(async () => {
      const b = (await kiln.batches.get(batch.id))!;
      return b.counts.pending + b.counts.running === 0 ? b : null;
    });
    expect(done.state).toBe('failed');
    expect(done.counts).toMatchObject({ total: 4, completed: 3, failed: 1 });
    expect(done.progress).toBe(1);
    expect(done.etaMs).toBeNull();
    expect(done.usage.tokens).toBe(1_000);
    expect(done.usage.seconds).toBeGreaterThan(0);
    const jobsOf = (await kiln.jobs.list({ batchId: batch.id })).items;
    const lastFinish = Math.max(...jobsOf.map((j) => j.finishedAt!.getTime()));
    const firstStart = Math.min(...jobsOf.map((j) => j.startedAt!.getTime()));
    expect(done.finishedAt!.getTime()).toBe(lastFinish);
    expect(done.startedAt!.getTime()).toBe(firstStart);
  });

  test('a batch whose jobs all complete is completed', async () => {
    const { kiln, work } = await openKiln({ jobs });
    const batch = await kiln.batches.create({
      jobs: [
        { type: testJob, params: {} },
        { type: testJob, params: { action: 'progress', ms: 20 } },
      ],
    });
    work();
    const done = await waitFor(async () => {
      const b = (await kiln.batches.get(batch.id))!;
      return b.state === 'completed' ? b : null;
    });
    expect(done.counts.completed).toBe(2);
    expect(done.progress).toBe(1);
    expect(done.finishedAt).not.toBeNull();
  });
});

describe('batch actions', () => {
  test('cancel marks the batch and cancels its jobs in one transaction (one feed seq)', async () => {
    const { kiln } = await openKiln({ jobs });
    const batch = await kiln.batches.create({
      jobs: [
        { type: 'test', params: { action: 'succeed' } },
        { type: 'test', params: { action: 'succeed' } },
      ],
    });
    const cancelled = await kiln.batches.cancel(batch.id);
    expect(cancelled.state).toBe('cancelled');
    const { items } = await kiln.jobs.list({ batchId: batch.id });
    expect(items.map((j) => j.state)).toEqual(['cancelled', 'cancelled']);
    expect(new Set([cancelled.seq, ...items.map((j) => j.seq)]).size).toBe(1);
  });

  test('pause: no new claims while paused, running jobs finish; resume runs the rest', async () => {
    const { kiln, work } = await openKiln({ jobs });
    const keys = [newKey(), newKey(), newKey(), newKey()];
    const batch = await kiln.batches.create({
      jobs: keys.map((key) => ({ type: gatedJob, params: { key } })),
    });
    const starts: string[] = [];
    const worker = work({ concurrency: 2 });
    worker.events.on('job:start', ({ id }) => starts.push(id));
    await waitFor(async () => (await kiln.batches.get(batch.id))!.counts.running === 2);
    const paused = await kiln.batches.pause(batch.id);
    expect(paused.paused).toBe(true);
    expect(paused.state).toBe('paused');
    // Let the two running handlers finish.
    const running = (await kiln.jobs.list({ batchId: batch.id, state: 'running' })).items;
    for (const j of running) gates.open((j.params as { key: string }).key);
    await waitFor(async () => (await kiln.batches.get(batch.id))!.counts.completed === 2);
    // The worker has free slots: a later job outside the batch runs, the paused ones do not.
    const probe = await kiln.enqueue(testJob, {});
    await waitForJob(kiln, probe.id, 'completed');
    const afterProbe = (await kiln.batches.get(batch.id))!;
    expect(afterProbe.counts).toMatchObject({ pending: 2, running: 0, completed: 2 });
    expect(afterProbe.state).toBe('paused');
    expect(starts).toHaveLength(3);

    for (const key of keys) gates.open(key);
    const resumed = await kiln.batches.resume(batch.id);
    expect(resumed.paused).toBe(false);
    await waitFor(async () => (await kiln.batches.get(batch.id))!.state === 'completed');
    expect(starts).toHaveLength(5);
  });

  test('cancel: pending jobs cancelled, running handlers see their signal, nothing overwrites it', async () => {
    const { kiln, work } = await openKiln({ jobs });
    const keys = [newKey(), newKey(), newKey()];
    const batch = await kiln.batches.create({
      jobs: keys.map((key) => ({ type: gatedJob, params: { key } })),
    });
    const worker = work({ concurrency: 1 });
    let completions = 0;
    worker.events.on('job:complete', () => completions++);
    await waitFor(async () => (await kiln.batches.get(batch.id))!.counts.running === 1);
    const [runningJob] = (await kiln.jobs.list({ batchId: batch.id, state: 'running' })).items;
    const runningKey = (runningJob!.params as { key: string }).key;
    const cancelled = await kiln.batches.cancel(batch.id);
    expect(cancelled.cancelled).toBe(true);
    expect(cancelled.state).toBe('cancelled');
    expect(cancelled.counts).toMatchObject({ total: 3, cancelled: 3, pending: 0, running: 0 });
    await waitFor(() => aborted.has(runningKey));
    // Opening the gates now changes nothing: the cancelled state is final.
    for (const key of keys) gates.open(key);
    const probe = await kiln.enqueue(testJob, {});
    await waitForJob(kiln, probe.id, 'completed');
    const jobsAfter = (await kiln.jobs.list({ batchId: batch.id })).items;
    expect(jobsAfter.map((j) => j.state)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(jobsAfter.every((j) => j.result === null)).toBe(true);
    expect(completions).toBe(1); // the probe only
  });

  test('retryFailed: failed jobs go back to pending with attempts reset, and run again', async () => {
    const { kiln, work } = await openKiln({ jobs });
    const [good, bad] = [newKey(), newKey()];
    failing.add(bad);
    gates.open(good);
    gates.open(bad);
    const batch = await kiln.batches.create({
      jobs: [
        { type: gatedJob, params: { key: good } },
        { type: gatedJob, params: { key: bad } },
      ],
    });
    work();
    const failed = await waitFor(async () => {
      const b = (await kiln.batches.get(batch.id))!;
      return b.state === 'failed' ? b : null;
    });
    expect(failed.counts).toMatchObject({ completed: 1, failed: 1 });
    const [badJob] = (await kiln.jobs.list({ batchId: batch.id, state: 'failed' })).items;
    expect(badJob!.attempt).toBe(1);
    expect(badJob!.error?.message).toBe(`${bad} fails`);

    failing.delete(bad);
    const retried: Batch = await kiln.batches.retryFailed(batch.id);
    expect(['pending', 'running']).toContain(retried.state);
    expect(retried.counts.failed).toBe(0);
    const again = await waitForJob(kiln, badJob!.id, 'completed');
    // Attempt numbers keep counting across a retry (each attempt keeps its own fence);
    // the budget is what resets: max attempts = attempts so far + the type's attempts.
    expect(again.attempt).toBe(2);
    expect(again.maxAttempts).toBe(1 + badJob!.maxAttempts);
    expect(again.error).toBeNull();
    expect(again.result).toEqual({ key: bad });
    const completed = (await kiln.batches.get(batch.id))!;
    expect(completed.state).toBe('completed');
    expect(completed.counts.completed).toBe(2);
  });

  test('actions on a missing batch throw BATCH_NOT_FOUND', async () => {
    const { kiln } = await openKiln({ jobs });
    for (const action of ['pause', 'resume', 'cancel', 'retryFailed'] as const) {
      const error = await rejection(kiln.batches[action]('00000000-0000-7000-8000-000000000000'));
      expect(error.code, action).toBe('BATCH_NOT_FOUND');
    }
    expect(await kiln.batches.get('00000000-0000-7000-8000-000000000000')).toBeNull();
  });
});
