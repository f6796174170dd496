/**
 * Guarantees 3, 6 and 7 as another process sees them: a watcher process follows the
 * change feed while a worker process runs 100 jobs that report progress. Within one
 * (job, attempt) progress never falls, the feed position never goes back, every job's
 * completion is seen, and nothing of a job is seen after its completion.
 */
import { afterEach, expect, test } from 'vitest';
import { type EnqueueItem, Kiln } from '../../src/index.ts';
import { waitFor } from '../support/helpers.ts';
import { guaranteeJobs } from './support/jobs.ts';
import { spawnSupport, spawnWorkerProcess, teardown, testStore } from './support/processes.ts';

afterEach(teardown);

interface Seen {
  seq: number;
  id: string;
  state: string;
  attempt: number;
  progress: number;
  message: string | null;
}

const JOBS = 100;
const STEPS = 50;

test('a watcher process sees progress rise within each attempt and every job complete', async () => {
  const store = testStore();
  const kiln = await Kiln.open({ store: store.url, jobs: guaranteeJobs });
  const from = await kiln.store.currentSeq();
  const watcher = spawnSupport('watcher.ts', [store.url, String(from)]);
  const worker = spawnWorkerProcess(store.url, { concurrency: JOBS });
  await Promise.all([watcher.ready, worker.ready]);

  const items: EnqueueItem[] = Array.from({ length: JOBS }, (_, i) => ({
    job: 'test',
    params: { action: 'progress', steps: STEPS, ms: 200, value: i },
  }));
  const ids = new Set((await kiln.enqueueMany(items)).map((r) => r.id));

  const events = () => watcher.json<Seen>().filter((e) => e.id !== undefined);
  await waitFor(
    () =>
      new Set(
        events()
          .filter((e) => e.state === 'completed')
          .map((e) => e.id),
      ).size === JOBS,
    {
      timeoutMs: 30_000,
      intervalMs: 20,
      what: 'the watcher to see every job complete',
    },
  );
  const seen = events();

  let lastSeq = 0;
  const last = new Map<string, Seen>();
  let intermediate = 0;
  for (const e of seen) {
    expect(ids.has(e.id)).toBe(true);
    expect(e.seq).toBeGreaterThanOrEqual(lastSeq);
    lastSeq = e.seq;
    const before = last.get(e.id);
    if (before) {
      // Terminal states are final: nothing of the job after its completion.
      expect(before.state, `event after completion of ${e.id}`).not.toBe('completed');
      // A new attempt shows as a higher attempt number, never a lower one.
      expect(e.attempt).toBeGreaterThanOrEqual(before.attempt);
      if (e.attempt === before.attempt) {
        expect(e.progress, `progress of ${e.id} fell`).toBeGreaterThanOrEqual(before.progress);
      }
    }
    if (e.state === 'running') {
      // The message was written with its progress, in the same statement.
      if (e.message !== null)
        expect(e.message).toBe(`step ${Math.round(e.progress * STEPS)}/${STEPS}`);
      if (e.progress > 0 && e.progress < 1) intermediate++;
    }
    last.set(e.id, e);
  }
  for (const id of ids) {
    expect(last.get(id)).toMatchObject({ state: 'completed', progress: 1, attempt: 1 });
  }
  // Not vacuous: the watcher saw the jobs move, not only their start and end.
  expect(intermediate).toBeGreaterThan(JOBS);
  await kiln.close();
});

test('idle workers do not move the feed: a seq means a change', async () => {
  const store = testStore();
  const kiln = await Kiln.open({ store: store.url, jobs: guaranteeJobs });
  const workers = [0, 1].map(() => spawnWorkerProcess(store.url, { idlePollMs: 20 }));
  await Promise.all(workers.map((w) => w.ready));
  const job = await kiln.enqueue('test', { value: 1 });
  const done = await waitFor(async () => {
    const j = await kiln.jobs.get(job.id);
    return j?.state === 'completed' ? j : null;
  });
  // From the completion on. On PostgreSQL the current position lags while any
  // transaction of the cluster (another test's) runs, so it may lie below the
  // completion; any later write there is stamped above it (sql.ts, TX_SEQ).
  const seq = Math.max(await kiln.store.currentSeq(), done.seq);
  // A window, not a wait for a condition: ~25 idle claim turns per worker. Before the fix
  // in worker-queries.ts (claim took a seq even when it claimed nothing) each idle turn
  // bumped the seq and woke every other process, which then did the same.
  await new Promise((r) => setTimeout(r, 500));
  // SQLite's positions are its own counter, which idle turns must not move (PostgreSQL's
  // are transaction ids, which other sessions move: there the feed below says it all).
  if (store.kind === 'sqlite') expect(await kiln.store.currentSeq()).toBe(seq);
  expect(await kiln.jobs.get(job.id)).toEqual(done);
  const events: unknown[] = [];
  for await (const e of kiln.watch({ from: seq, signal: AbortSignal.timeout(100) })) events.push(e);
  expect(events).toEqual([]);
  await kiln.close();
});

test('the feed across processes: a 2,500-row transaction arrives whole, and a watcher resumed mid-feed sees every later change', async () => {
  const store = testStore();
  const kiln = await Kiln.open({ store: store.url, jobs: guaranteeJobs });
  const from = await kiln.store.currentSeq();
  const watcher = spawnSupport('watcher.ts', [store.url, String(from)]);
  const worker = spawnWorkerProcess(store.url, { concurrency: 20 });
  await Promise.all([watcher.ready, worker.ready]);

  // One transaction, one seq, more rows than a feed page (1,000). Scheduled an hour out,
  // so no later change of these rows could hide a page that lost them.
  const runAt = Date.now() + 3_600_000;
  const big: EnqueueItem[] = Array.from({ length: 2_500 }, (_, i) => ({
    job: 'test',
    params: { value: i },
    options: { runAt },
  }));
  const scheduled = new Set((await kiln.enqueueMany(big)).map((r) => r.id));
  // Then ordinary traffic: 200 jobs in 20 transactions, run by the worker.
  const ran = new Set<string>();
  for (let k = 0; k < 20; k++) {
    const items: EnqueueItem[] = Array.from({ length: 10 }, (_, i) => ({
      job: 'test',
      params: { value: k * 10 + i },
    }));
    for (const r of await kiln.enqueueMany(items)) ran.add(r.id);
  }
  const final = await waitFor(
    async () => {
      const page = await kiln.jobs.list({ state: 'completed', limit: 1_000 });
      return page.items.length === ran.size ? page.items : null;
    },
    { what: 'the worker to complete the 200 jobs' },
  );

  const seenBy = (w: typeof watcher) => w.json<Seen>().filter((e) => e.id !== undefined);
  await waitFor(() => seenBy(watcher).filter((e) => e.state === 'completed').length === ran.size, {
    what: 'the watcher to see the 200 completions',
  });
  const seen = seenBy(watcher);
  const scheduledSeen = new Set(seen.filter((e) => scheduled.has(e.id)).map((e) => e.id));
  expect(scheduledSeen.size).toBe(scheduled.size);

  // Resume from the middle: a new watcher from seq X sees exactly the jobs whose latest
  // change is after X, each in its latest state (the feed coalesces a row's changes).
  const seqs = [...new Set(final.map((j) => j.seq))].sort((a, b) => a - b);
  const mid = seqs[Math.floor(seqs.length / 2)]!;
  const expected = final.filter((j) => j.seq > mid);
  expect(expected.length).toBeGreaterThan(0);
  const resumed = spawnSupport('watcher.ts', [store.url, String(mid)]);
  await resumed.ready;
  await waitFor(() => seenBy(resumed).length >= expected.length, {
    what: 'the resumed watcher to catch up',
  });
  const resumedSeen = seenBy(resumed);
  expect(resumedSeen.every((e) => e.seq > mid)).toBe(true);
  expect(resumedSeen.map((e) => e.id).sort()).toEqual(expected.map((j) => j.id).sort());
  expect(resumedSeen.every((e) => e.state === 'completed' && e.progress === 1)).toBe(true);
  await kiln.close();
});
