/**
 * Guarantee 10: nothing is cleaned up before its retention time, and everything is
 * cleaned up after it, files included. A job type kept RETENTION_MS writes two artifacts
 * and two log lines. We look at a finished job over and over, before and after its
 * expiry: the row, its logs, its artifact rows and its files on disk.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import pg from 'pg';
import { afterEach, expect, test } from 'vitest';
import { type Job, Kiln } from '../../src/index.ts';
import { waitFor } from '../support/helpers.ts';
import { TEST_PG_URL, type TestStore } from '../support/stores.ts';
import { guaranteeJobs, RETENTION_MS } from './support/jobs.ts';
import { spawnWorkerProcess, teardown, testStore } from './support/processes.ts';
import { jobsWithStoredArtifacts, storedArtifacts } from './support/stored-artifacts.ts';

afterEach(teardown);

/**
 * Checks made inside a waitFor loop are collected, not thrown: waitFor retries on a throw,
 * which would let a violation seen once pass unnoticed.
 */
const violations: string[] = [];
afterEach(() => {
  violations.length = 0;
});
function check(actual: unknown, expected: unknown, what: string): void {
  if (!isDeepStrictEqual(actual, expected))
    violations.push(`${what}: ${JSON.stringify(actual)} instead of ${JSON.stringify(expected)}`);
}

interface Look {
  /** Where the artifact bytes are (support/stored-artifacts.ts), read first. */
  files: string[];
  artifactRows: number;
  logs: number;
  row: boolean;
}

/** Reads in deletion order reversed (files go after the rows), so a look is never torn the wrong way. */
async function look(kiln: Kiln, store: TestStore, id: string): Promise<Look> {
  const files = await storedArtifacts(store, id);
  const artifactRows = (await kiln.artifacts.list(id)).length;
  const logs = (await kiln.jobs.logs(id)).length;
  const row = (await kiln.jobs.get(id)) !== null;
  return { files, artifactRows, logs, row };
}

const ALL = { files: ['data.json', 'report.md'], artifactRows: 2, logs: 2, row: true };
const NONE = { files: [], artifactRows: 0, logs: 0, row: false };

async function completed(kiln: Kiln, ids: string[]): Promise<Job[]> {
  return waitFor(
    async () => {
      const jobs = await Promise.all(ids.map((id) => kiln.jobs.get(id)));
      return jobs.every((j) => j?.state === 'completed') ? (jobs as Job[]) : null;
    },
    { what: 'jobs to complete' },
  );
}

test('kiln.prune() keeps a finished job, its logs and files until its retention ends, then removes them all; the batch goes with its last job', async () => {
  const store = testStore();
  const kiln = await Kiln.open({ store: store.url, jobs: guaranteeJobs });
  const worker = spawnWorkerProcess(store.url, { pruneEveryMs: 0 });
  await worker.ready;
  const batch = await kiln.batches.create({
    jobs: [
      { type: 'retained', params: { tag: 'first' } },
      { type: 'retained', params: { tag: 'second', sleepMs: 800 } },
    ],
  });
  const ids = (await kiln.jobs.list({ batchId: batch.id })).items.map((j) => j.id);
  const jobs = await completed(kiln, ids);
  for (const j of jobs) {
    expect(j.expiresAt!.getTime() - j.finishedAt!.getTime()).toBe(RETENTION_MS);
    expect((await kiln.artifacts.read(j.id, 'data.json')).toString()).toBe(
      JSON.stringify({ tag: (j.params as { tag: string }).tag }),
    );
  }
  const [early, late] = [...jobs].sort((a, b) => a.expiresAt!.getTime() - b.expiresAt!.getTime());
  expect(late!.expiresAt!.getTime()).toBeGreaterThan(early!.expiresAt!.getTime());

  // Prune, then look, until both are gone. This process's clock is the store's clock, so
  // a prune that ended before expiresAt must have kept the job, and one that started at
  // or after it must have removed it.
  const checked = { before: 0, after: 0, batchWithLastJob: 0 };
  await waitFor(
    async () => {
      const startMs = Date.now();
      await kiln.prune();
      const endMs = Date.now();
      const looks = await Promise.all(jobs.map((j) => look(kiln, store, j.id)));
      const batchNow = await kiln.batches.get(batch.id);
      jobs.forEach((j, i) => {
        const expiresMs = j.expiresAt!.getTime();
        if (endMs < expiresMs) {
          check(looks[i], ALL, `job ${i} before its expiry`);
          checked.before++;
        } else if (startMs >= expiresMs) {
          check(looks[i], NONE, `job ${i} after its expiry`);
          checked.after++;
        }
      });
      const anyLeft = looks.some((l) => l.row);
      check(batchNow !== null, anyLeft, 'the batch exists exactly while one of its jobs does');
      if (looks.filter((l) => l.row).length === 1) checked.batchWithLastJob++;
      return !anyLeft && looks.every((l) => l.files.length === 0);
    },
    { timeoutMs: RETENTION_MS + 10_000, intervalMs: 20, what: 'prune to remove both jobs' },
  );
  expect(violations).toEqual([]);
  // Every case was seen: kept before expiry, gone after, the batch kept by its last job.
  expect(checked.before).toBeGreaterThan(0);
  expect(checked.after).toBeGreaterThan(0);
  expect(checked.batchWithLastJob).toBeGreaterThan(0);
  expect(await jobsWithStoredArtifacts(store)).toEqual([]);
  await kiln.close();
});

test('a worker’s own retention removes an expired job, logs, files and batch: never before expiry', async () => {
  const store = testStore();
  const kiln = await Kiln.open({ store: store.url, jobs: guaranteeJobs });
  const pruneEveryMs = 200;
  const worker = spawnWorkerProcess(store.url, { pruneEveryMs });
  await worker.ready;
  const batch = await kiln.batches.create({ jobs: [{ type: 'retained', params: { tag: 'b' } }] });
  const single = await kiln.enqueue('retained', { tag: 'single' });
  const batchJobId = (await kiln.jobs.list({ batchId: batch.id })).items[0]!.id;
  const jobs = await completed(kiln, [batchJobId, single.id]);
  const lastExpiryMs = Math.max(...jobs.map((j) => j.expiresAt!.getTime()));

  let before = 0;
  const goneAt = await waitFor(
    async () => {
      // The batch is read before its job: it goes in the same transaction as its last job.
      const batchNow = await kiln.batches.get(batch.id);
      const looks = await Promise.all(jobs.map((j) => look(kiln, store, j.id)));
      const nowMs = Date.now();
      jobs.forEach((j, i) => {
        // Rows go before files, and we read files first: a row seen means all of it is there.
        if (looks[i]!.row) check(looks[i], ALL, `job ${i} seen partly`);
        if (nowMs < j.expiresAt!.getTime()) {
          check(looks[i], ALL, `job ${i} before its expiry`);
          before++;
        }
      });
      if (looks[0]!.row) check(batchNow !== null, true, 'the batch went before its job');
      const gone = looks.every((l) => JSON.stringify(l) === JSON.stringify(NONE)) && !batchNow;
      return gone ? nowMs : 0;
    },
    { timeoutMs: RETENTION_MS + 10_000, intervalMs: 10, what: 'the worker to prune' },
  );
  expect(violations).toEqual([]);
  expect(before).toBeGreaterThan(0);
  expect(goneAt).toBeGreaterThanOrEqual(lastExpiryMs);
  // Bounded: within a prune interval of expiry, plus slack for a busy machine.
  expect(goneAt - lastExpiryMs).toBeLessThan(pruneEveryMs + 3_000);
  expect(await jobsWithStoredArtifacts(store)).toEqual([]);
  await kiln.close();
});

test('a crash in the middle of removing a job leaves none of its artifacts behind it', async () => {
  const store = testStore();
  const kiln = await Kiln.open({ store: store.url, jobs: guaranteeJobs });
  if (store.kind === 'postgres') {
    await crashMidPrune(store, kiln);
  } else {
    // SQLite: the rows go in a transaction, the files after it. A job folder left
    // without its job (a crash between the delete and the rm) is swept by prune.
    const orphan = join(store.dir, 'artifacts', '01a20cec-0000-7000-8000-000000000000');
    mkdirSync(orphan, { recursive: true });
    writeFileSync(join(orphan, 'left.txt'), 'behind');
    // Opening the store leaves it (no scan on open); the first prune removes it.
    expect(existsSync(orphan)).toBe(true);
    await kiln.prune();
    expect(existsSync(orphan)).toBe(false);
  }
  await kiln.close();
});

/**
 * PostgreSQL: a job's logs, artifacts and row are deleted in one transaction. A worker's
 * prune is caught in the middle (it has deleted the job's logs and waits for artifact
 * rows this test holds locked) and its process is SIGKILLed: the job is still whole,
 * and the next prune removes all of it.
 */
async function crashMidPrune(store: TestStore, kiln: Kiln): Promise<void> {
  const worker = spawnWorkerProcess(store.url, { pruneEveryMs: 100 });
  await worker.ready;
  const job = await kiln.enqueue('retained', { tag: 'crash' });
  const [done] = await completed(kiln, [job.id]);
  expect(await look(kiln, store, job.id)).toEqual(ALL);
  const locker = new pg.Client({
    connectionString: TEST_PG_URL,
    options: `-c search_path=${store.path}`,
  });
  await locker.connect();
  try {
    await locker.query('BEGIN');
    await locker.query('SELECT name FROM artifacts WHERE job_id = $1 FOR UPDATE', [job.id]);
    const lockerPid = (await locker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))
      .rows[0]!.pid;
    const blocked = await waitFor(
      async () =>
        (
          await store.query<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity
             WHERE application_name = ? AND ?::int = ANY(pg_blocking_pids(pid))`,
            worker.appName,
            lockerPid,
          )
        )[0],
      { timeoutMs: RETENTION_MS + 10_000, what: 'the worker’s prune to wait on the artifacts' },
    );
    expect(Date.now()).toBeGreaterThanOrEqual(done!.expiresAt!.getTime());
    worker.child.kill('SIGKILL');
    await worker.closed;
    await locker.query('ROLLBACK');
    // Its backend goes on, finds its client gone at the next statement, and rolls back.
    await waitFor(
      async () =>
        (await store.query('SELECT 1 FROM pg_stat_activity WHERE pid = ?', blocked.pid)).length ===
        0,
      { what: 'the killed worker’s backend to end' },
    );
  } finally {
    await locker.end();
  }
  expect(await look(kiln, store, job.id)).toEqual(ALL);
  await kiln.prune();
  expect(await look(kiln, store, job.id)).toEqual(NONE);
}
