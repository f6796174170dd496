import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { type ChangeEvent, defineJob, KilnError } from '../../src/index.ts';
import type { Store, TurnInput } from '../../src/store/store.ts';
import { spawnWorker, waitFor } from '../support/helpers.ts';
import { collectEvents, Gates, useKiln, waitForJob } from '../support/library.ts';
import { testJob, testJobs } from '../support/test-jobs.ts';

const openKiln = useKiln();
const gates = new Gates();

/** Heartbeats a checkpoint after each step; the first attempt throws after step `failAt`. */
const resumableJob = defineJob({
  type: 'resumable',
  params: z.object({ steps: z.number().int(), failAt: z.number().int() }),
  retry: { attempts: 2, backoff: { baseMs: 10, maxMs: 10 } },
  run: (ctx) => {
    const from = (ctx.checkpoint as { done?: number } | undefined)?.done ?? 0;
    const ran: number[] = [];
    for (let i = from + 1; i <= ctx.params.steps; i++) {
      ran.push(i);
      ctx.heartbeat({ done: i });
      if (ctx.attempt === 1 && i === ctx.params.failAt) throw new Error(`died after step ${i}`);
    }
    return { attempt: ctx.attempt, resumedFrom: from, ran };
  },
});

/** The first attempt waits until its signal fires; later attempts return at once. */
const longFirstJob = defineJob({
  type: 'long-first',
  params: z.object({ key: z.string() }),
  // A failure would wait 15-30 s: a release must not.
  retry: { attempts: 3, backoff: { baseMs: 30_000, maxMs: 30_000 } },
  run: async (ctx) => {
    if (ctx.attempt === 1) await gates.wait(ctx.params.key, ctx.signal);
    return { attempt: ctx.attempt };
  },
});

/** Reports "first", then at the gate "second", then at the next gate returns. */
const twoReportsJob = defineJob({
  type: 'two-reports',
  params: z.object({ key: z.string() }),
  run: async (ctx) => {
    ctx.progress(0.5, 'first');
    ctx.usage({ tokens: 1 });
    await gates.wait(`${ctx.params.key}:second`, ctx.signal);
    ctx.progress(1, 'second');
    ctx.usage({ tokens: 10 });
    gates.open(`${ctx.params.key}:reported`);
    await gates.wait(`${ctx.params.key}:return`, ctx.signal);
    return {};
  },
});

/** Spends 5 tokens and logs once, then waits at the gate `<key>:go`. */
const spendOnceJob = defineJob({
  type: 'spend-once',
  params: z.object({ key: z.string() }),
  run: async (ctx) => {
    ctx.usage({ tokens: 5 });
    ctx.log('once');
    await gates.wait(`${ctx.params.key}:go`, ctx.signal);
    ctx.progress(1, 'done');
    return {};
  },
});

const jobs = [...testJobs, resumableJob, longFirstJob, twoReportsJob, spendOnceJob];

/**
 * The first turn that `matches` commits, then its answer is lost: as when the connection
 * dies between PostgreSQL's commit and its reply. Returns whether that has happened.
 */
function loseFirstAnswer(store: Store, matches: (input: TurnInput) => boolean): () => boolean {
  const turn = store.turn.bind(store);
  let lost = false;
  store.turn = async (input) => {
    const result = await turn(input);
    if (!lost && matches(input)) {
      lost = true;
      throw new Error('Connection terminated unexpectedly');
    }
    return result;
  };
  return () => lost;
}

describe('checkpoints', () => {
  test('the next attempt gets the checkpoint the failed one last sent', async () => {
    const { kiln, work } = await openKiln({ jobs });
    const job = await kiln.enqueue(resumableJob, { steps: 8, failAt: 5 });
    work();
    const done = await waitForJob(kiln, job.id, 'completed');
    expect(done.result).toEqual({ attempt: 2, resumedFrom: 5, ran: [6, 7, 8] });
    expect(done.checkpoint).toEqual({ done: 8 });
  });

  test('a worker killed with SIGKILL mid-job: the next attempt resumes from its checkpoint', async () => {
    const { kiln, work, url } = await openKiln({ jobs });
    const victim = spawnWorker(url, { leaseMs: 1_000, renewEveryMs: 300, concurrency: 1 });
    try {
      await victim.ready;
      // 10 steps of 150 ms, a checkpoint at each.
      const job = await kiln.enqueue(testJob, { action: 'checkpoint', steps: 10, ms: 1_500 });
      const before = await waitForJob(
        kiln,
        job.id,
        (j) => ((j.checkpoint as { done?: number } | null)?.done ?? 0) >= 3,
      );
      victim.child.kill('SIGKILL');
      await victim.exited;
      const killedAt = (await kiln.jobs.get(job.id))!;
      expect(killedAt.state).toBe('running');
      expect(killedAt.attempt).toBe(1);
      const reachedBeforeKill = (killedAt.checkpoint as { done: number }).done;
      expect(reachedBeforeKill).toBeGreaterThanOrEqual(
        (before.checkpoint as { done: number }).done,
      );
      const rescuer = work({ concurrency: 1 });
      const stalled: number[] = [];
      rescuer.events.on('job:stalled', ({ attempt }) => stalled.push(attempt));
      const done = await waitForJob(kiln, job.id, 'completed');
      expect(done.attempt).toBe(2);
      expect(done.result).toEqual({ resumedFrom: reachedBeforeKill, value: null });
      expect(stalled).toEqual([1]);
    } finally {
      victim.child.kill('SIGKILL');
    }
  });
});

describe('graceful shutdown', () => {
  test('stop(graceMs) lets a short job finish before it resolves', async () => {
    const { kiln, work } = await openKiln({ jobs });
    const job = await kiln.enqueue(testJob, { action: 'sleep', ms: 300 });
    const worker = work();
    await waitForJob(kiln, job.id, 'running');
    await worker.stop(10_000);
    const after = (await kiln.jobs.get(job.id))!;
    expect(after.state).toBe('completed');
    expect(after.attempt).toBe(1);
    expect(worker.running).toBe(0);
  });

  test('a job still running at the deadline is released with its budget intact, and taken at once', async () => {
    const { kiln, work } = await openKiln({ jobs });
    const job = await kiln.enqueue(longFirstJob, { key: 'never-opened' });
    const budget = job.maxAttempts;
    const first = work();
    await waitForJob(kiln, job.id, 'running');
    const stopAt = Date.now();
    await first.stop(200);
    expect(Date.now() - stopAt).toBeGreaterThanOrEqual(190);
    const released = (await kiln.jobs.get(job.id))!;
    expect(released.state).toBe('pending');
    expect(released.attempt).toBe(1);
    // The released attempt does not count against the job's attempts.
    expect(released.maxAttempts - released.attempt).toBe(budget);
    expect(released.error).toBeNull();
    expect(released.runAt.getTime()).toBeLessThanOrEqual(Date.now());
    expect(released.leaseOwner === null || released.leaseExpiresAt === null).toBe(true);

    const secondStartedAt = Date.now();
    const second = work();
    const done = await waitForJob(kiln, job.id, 'completed');
    expect(done.result).toEqual({ attempt: 2 });
    expect(done.leaseOwner).toBe(second.id);
    // No backoff (it would be 15-30 s): claimed as soon as the second worker looked.
    expect(done.startedAt!.getTime() - secondStartedAt).toBeLessThan(5_000);
  });

  test('a stopped worker claims nothing more', async () => {
    const { kiln, work } = await openKiln({ jobs });
    const stopped = work();
    await stopped.stop(1_000);
    const job = await kiln.enqueue(testJob, {});
    // Another worker's probe job completes; the stopped worker never took anything.
    const starts: string[] = [];
    stopped.events.on('job:start', ({ id }) => starts.push(id));
    const other = work();
    await waitForJob(kiln, job.id, 'completed');
    expect(starts).toEqual([]);
    expect((await kiln.jobs.get(job.id))!.leaseOwner).toBe(other.id);
  });
});

function jobEvents(events: ChangeEvent[]) {
  return events.filter((e): e is Extract<ChangeEvent, { kind: 'job' }> => e.kind === 'job');
}

function expectSeqOrder(events: ChangeEvent[]): void {
  for (let i = 1; i < events.length; i++)
    expect(events[i]!.seq, `event ${i}`).toBeGreaterThanOrEqual(events[i - 1]!.seq);
}

describe('kiln.watch', () => {
  test("from 'start': every job and batch so far, in seq order", async () => {
    const { kiln } = await openKiln({ jobs });
    const a = await kiln.enqueue(testJob, { value: 'a' });
    const batch = await kiln.batches.create({
      name: 'b',
      jobs: [
        { type: testJob, params: {} },
        { type: testJob, params: {} },
      ],
    });
    const c = await kiln.enqueue(testJob, { value: 'c' });
    const events = await collectEvents(kiln, { from: 'start' }, (e) =>
      jobEvents(e).some((x) => x.job.id === c.id),
    );
    expectSeqOrder(events);
    expect(events.map((e) => e.kind)).toEqual(['job', 'batch', 'job', 'job', 'job']);
    expect(jobEvents(events)[0]!.job.id).toBe(a.id);
    expect(events[1]).toMatchObject({ kind: 'batch', batch: { id: batch.id, name: 'b' } });
    // The batch and its jobs were one transaction: one seq.
    expect(new Set(events.slice(1, 4).map((e) => e.seq)).size).toBe(1);
  });

  test("from 'now' (the default): only changes after the watch began", async () => {
    const { kiln, kind } = await openKiln({ jobs });
    const old = await kiln.enqueue(testJob, { value: 'old' });
    // 'now' is when the watch reads its position (on PostgreSQL a query, so not at once):
    // the next enqueue waits for that read.
    let positioned!: () => void;
    const hasPosition = new Promise<void>((resolve) => {
      positioned = resolve;
    });
    const currentSeq = kiln.store.currentSeq.bind(kiln.store);
    kiln.store.currentSeq = async () => {
      const seq = await currentSeq();
      positioned();
      return seq;
    };
    // Until the event for the new job (its id may not be known yet when it arrives).
    const watching = collectEvents(kiln, {}, (e) =>
      jobEvents(e).some((x) => (x.job.params as { value?: string }).value === 'new'),
    );
    await hasPosition;
    const fresh = await kiln.enqueue(testJob, { value: 'new' });
    const ids = jobEvents(await watching).map((e) => e.job.id);
    if (kind === 'sqlite') {
      expect(ids).toEqual([fresh.id]);
    } else {
      // PostgreSQL's 'now' is the feed horizon (docs/ARCHITECTURE.md): while an older Kiln
      // transaction is still open, a change committed just before the watch began comes
      // too. Never fewer changes, and nothing older than that.
      expect(ids).toContain(fresh.id);
      expect(ids.every((id) => id === fresh.id || id === old.id)).toBe(true);
    }
  });

  test('from a position: resumes after it, skipping nothing', async () => {
    const { kiln } = await openKiln({ jobs });
    const a = await kiln.enqueue(testJob, {});
    const b = await kiln.enqueue(testJob, {});
    const position = b.seq;
    const c = await kiln.enqueue(testJob, {});
    const d = await kiln.enqueue(testJob, {});
    const events = await collectEvents(kiln, { from: position }, (e) => e.length >= 2);
    expect(jobEvents(events).map((e) => e.job.id)).toEqual([c.id, d.id]);
    expect(events.every((e) => e.seq > position)).toBe(true);
    const fromA = await collectEvents(kiln, { from: a.seq }, (e) => e.length >= 3);
    expect(jobEvents(fromA).map((e) => e.job.id)).toEqual([b.id, c.id, d.id]);
  });

  test('filtered by job: only that job, following it to completion, seqs rising', async () => {
    const { kiln, work } = await openKiln({ jobs });
    const other = await kiln.enqueue(testJob, { action: 'progress', ms: 100, steps: 5 });
    const job = await kiln.enqueue(testJob, { action: 'progress', ms: 300, steps: 30 });
    const watching = collectEvents(kiln, { jobId: job.id, from: 'start' }, (e) =>
      jobEvents(e).some((x) => x.job.state === 'completed'),
    );
    work();
    const events = await watching;
    expect(events.every((e) => e.kind === 'job' && e.job.id === job.id)).toBe(true);
    for (let i = 1; i < events.length; i++) {
      expect(events[i]!.seq).toBeGreaterThan(events[i - 1]!.seq);
    }
    // Progress seen by the watcher never falls within the attempt.
    const progress = jobEvents(events).map((e) => e.job.progress);
    expect([...progress].sort((x, y) => x - y)).toEqual(progress);
    await waitForJob(kiln, other.id, 'completed');
  });

  test('filtered by batch: the batch record and its jobs only', async () => {
    const { kiln, work } = await openKiln({ jobs });
    const outside = await kiln.enqueue(testJob, {});
    const batch = await kiln.batches.create({
      jobs: [
        { type: testJob, params: { value: 1 } },
        { type: testJob, params: { value: 2 } },
      ],
    });
    await kiln.batches.pause(batch.id);
    const watching = collectEvents(kiln, { batchId: batch.id, from: 'start' }, (e) => {
      const done = new Set(
        jobEvents(e)
          .filter((x) => x.job.state === 'completed')
          .map((x) => x.job.id),
      );
      return done.size === 2;
    });
    work();
    await waitForJob(kiln, outside.id, 'completed');
    await kiln.batches.resume(batch.id);
    const events = await watching;
    expectSeqOrder(events);
    for (const e of events) {
      if (e.kind === 'job') expect(e.job.batchId).toBe(batch.id);
      else expect(e.batch.id).toBe(batch.id);
    }
    const batchEvents = events.filter((e) => e.kind === 'batch');
    expect(batchEvents.length).toBeGreaterThanOrEqual(1);
    // The paused flag was seen, then cleared, in order.
    const flags = batchEvents.map((e) => (e.kind === 'batch' ? e.batch.paused : null));
    expect(flags[flags.length - 1]).toBe(false);
  });

  test('a bad position or option is refused', async () => {
    const { kiln } = await openKiln({ jobs });
    await expect(collectEvents(kiln, { from: -1 }, () => true)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    const error = await collectEvents(kiln, { jobID: 'x' } as object, () => true).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(KilnError);
    expect((error as KilnError).code).toBe('UNKNOWN_OPTION');
  });

  test('the watch ends when its signal aborts', async () => {
    const { kiln } = await openKiln({ jobs });
    const controller = new AbortController();
    const seen: ChangeEvent[] = [];
    // A position read before the enqueue: 'now' is read when iteration starts, and on
    // PostgreSQL (a query) the enqueue below could commit first and never be seen.
    const from = await kiln.store.currentSeq();
    const loop = (async () => {
      for await (const e of kiln.watch({ from, signal: controller.signal })) seen.push(e);
    })();
    await kiln.enqueue(testJob, {});
    await waitFor(() => seen.length === 1);
    controller.abort();
    await loop;
    expect(seen).toHaveLength(1);
  });
});

describe('kiln.watch and close', () => {
  test('closing the instance ends a watch that has no signal', async () => {
    const { kiln } = await openKiln({ jobs });
    const seen: ChangeEvent[] = [];
    let ended = false;
    const loop = (async () => {
      for await (const e of kiln.watch()) seen.push(e);
      ended = true;
    })();
    await kiln.enqueue(testJob, {});
    await waitFor(() => seen.length === 1);
    await kiln.close();
    await waitFor(() => ended, { timeoutMs: 5_000, what: 'the watch to end after close()' });
    await loop;
  });
});

describe('a failing store', () => {
  test('a claim whose reply was lost (committed, then the call failed) is released, not held while the worker renews its leases', async () => {
    const { kiln, work } = await openKiln({ jobs: testJobs });
    const store = kiln.store;
    const turn = store.turn.bind(store);
    // Other work, so the worker keeps renewing leases all along.
    const busy = await kiln.enqueue(testJob, { action: 'hang' });
    let lostReply = false;
    store.turn = async (input) => {
      const result = await turn(input);
      // The victim's claim commits, but its reply never reaches the worker: as when a
      // database connection dies between the commit and the answer.
      if (
        !lostReply &&
        result.claimed.some((j) => (j.params as { value?: string }).value === 'victim')
      ) {
        lostReply = true;
        throw new Error('Connection terminated unexpectedly');
      }
      return result;
    };
    const worker = work({ renewEveryMs: 100 });
    worker.events.on('error', () => {});
    await waitForJob(kiln, busy.id, 'running');
    const victim = await kiln.enqueue(testJob, { value: 'victim' });
    await waitFor(() => lostReply, { what: 'the lost claim reply' });
    // Released at the second renewal that finds it held, claimed again, and run.
    const done = await waitForJob(kiln, victim.id, 'completed');
    expect(done.attempt).toBe(2);
    expect((await kiln.jobs.get(busy.id))!.state).toBe('running');
  });

  test('a turn whose transaction fails is written again: the completion and its progress are not lost', async () => {
    const { kiln, work } = await openKiln({ jobs: testJobs });
    const store = kiln.store;
    const turn = store.turn.bind(store);
    let failures = 0;
    // The first turn that carries a completion fails as SQLite does when the database
    // stays busy past the timeout: the transaction rolls back and the call throws.
    store.turn = async (input) => {
      if (failures === 0 && input.settles.some((s) => s.kind === 'complete')) {
        failures++;
        throw Object.assign(new Error('database is locked'), { code: 'ERR_SQLITE_ERROR' });
      }
      return turn(input);
    };
    const worker = work();
    const errors: unknown[] = [];
    worker.events.on('error', ({ error }) => errors.push(error));
    const job = await kiln.enqueue(testJob, { action: 'progress', steps: 4, ms: 20, value: 'v' });
    const done = await waitForJob(kiln, job.id, 'completed');
    expect(failures).toBe(1);
    expect(errors).toHaveLength(1);
    // Completed by its first attempt: the failed turn was retried, not dropped (a dropped
    // completion would leave the job running until its lease ran out, then run it again).
    expect(done.attempt).toBe(1);
    expect(done.result).toEqual({ value: 'v', attempt: 1 });
    expect(done.progress).toBe(1);
  });

  test('a turn that committed but whose answer was lost is written again without doubling its usage or log lines', async () => {
    const { kiln, work } = await openKiln({ jobs });
    // The turn carrying the log line commits, then its answer is lost.
    const lost = loseFirstAnswer(kiln.store, (input) => input.flushes.some((f) => f.logs?.length));
    const worker = work();
    const errors: unknown[] = [];
    worker.events.on('error', ({ error }) => errors.push(error));
    const job = await kiln.enqueue(spendOnceJob, { key: 'lost-reply' });
    await waitFor(lost, { what: 'the lost reply' });
    // The worker sent the turn again (it cannot know that it had committed).
    await waitFor(() => errors.length === 1);
    gates.open('lost-reply:go');
    const done = await waitForJob(kiln, job.id, 'completed');
    expect(done.usage.tokens).toBe(5);
    expect((await kiln.jobs.logs(job.id)).map((l) => l.message)).toEqual(['once']);
    expect(done.progressMessage).toBe('done');
  });

  for (const action of ['succeed', 'throw', 'throw-final'] as const) {
    test(`a settle (${action}) whose turn committed unheard is reported once, as written, not as a lost lease`, async () => {
      const { kiln, work } = await openKiln({ jobs });
      loseFirstAnswer(kiln.store, (input) => input.settles.length > 0);
      const worker = work();
      const seen: string[] = [];
      worker.events.on('error', () => seen.push('error'));
      worker.events.on('lease:lost', ({ attempt }) => seen.push(`lost ${attempt}`));
      worker.events.on('job:complete', ({ attempt }) => seen.push(`complete ${attempt}`));
      worker.events.on('job:fail', ({ attempt, retrying }) =>
        seen.push(`fail ${attempt}${retrying ? ' retrying' : ''}`),
      );
      const job = await kiln.enqueue(testJob, { action });
      const first = {
        succeed: 'complete 1',
        throw: 'fail 1 retrying',
        'throw-final': 'fail 1',
      }[action];
      await waitFor(() => seen.includes(first), { what: first });
      // The first send committed, its answer was lost (the error), the second was refused.
      expect(seen.slice(0, 2)).toEqual(['error', first]);
      if (action === 'throw') await waitForJob(kiln, job.id, 'failed');
      expect(seen.filter((e) => e.startsWith('lost'))).toEqual([]);
      expect(seen.filter((e) => e === first)).toHaveLength(1);
    });
  }

  test('a flush retried after a failed turn goes with a newer report of the job: the newer one wins, the usage of both adds up', async () => {
    const { kiln, work } = await openKiln({ jobs });
    const store = kiln.store;
    const turn = store.turn.bind(store);
    let failed = false;
    // The turn carrying "first" fails, but only once the handler has reported "second":
    // the next turn carries the retried flush and the newer one.
    store.turn = async (input) => {
      if (!failed && input.flushes.some((f) => f.message === 'first')) {
        failed = true;
        gates.open('retry:second');
        await gates.wait('retry:reported');
        throw new Error('Connection terminated unexpectedly');
      }
      return turn(input);
    };
    const worker = work();
    worker.events.on('error', () => {});
    const job = await kiln.enqueue(twoReportsJob, { key: 'retry' });
    const reported = await waitFor(async () => {
      const j = await kiln.jobs.get(job.id);
      return j?.progress === 1 ? j : undefined;
    });
    expect(failed).toBe(true);
    expect(reported.progressMessage).toBe('second');
    expect(reported.usage.tokens).toBe(11);
    gates.open('retry:return');
    const done = await waitForJob(kiln, job.id, 'completed');
    expect(done.progressMessage).toBe('second');
    expect(done.usage.tokens).toBe(11);
  });
});
