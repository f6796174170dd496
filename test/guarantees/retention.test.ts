/**
 * Guarantee 10: nothing is cleaned up before its retention time, and everything is
 * cleaned up after it, files included. A job type kept RETENTION_MS writes two artifacts
 * and two log lines. We look at a finished job over and over, before and after its
 * expiry: the row, its logs, its artifact rows and its files on disk.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterEach, expect, test } from 'vitest';
import { type Job, Kiln } from '../../src/index.ts';
import { waitFor } from '../support/helpers.ts';
import { guaranteeJobs, RETENTION_MS } from './support/jobs.ts';
import { spawnWorkerProcess, teardown, tempStore } from './support/processes.ts';

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
  /** Files in <dbdir>/artifacts/<jobId>/, read first. */
  files: string[];
  artifactRows: number;
  logs: number;
  row: boolean;
}

/** Reads in deletion order reversed (files go after the rows), so a look is never torn the wrong way. */
async function look(kiln: Kiln, dir: string, id: string): Promise<Look> {
  const folder = join(dir, 'artifacts', id);
  const files = existsSync(folder) ? readdirSync(folder).sort() : [];
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
  const store = tempStore();
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
      const looks = await Promise.all(jobs.map((j) => look(kiln, store.dir, j.id)));
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
  expect(readdirSync(join(store.dir, 'artifacts'))).toEqual([]);
  await kiln.close();
});

test('a worker’s own retention removes an expired job, logs, files and batch: never before expiry', async () => {
  const store = tempStore();
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
      const looks = await Promise.all(jobs.map((j) => look(kiln, store.dir, j.id)));
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
  expect(readdirSync(join(store.dir, 'artifacts'))).toEqual([]);
  await kiln.close();
});

test('a job folder left without its job (a crash between the delete and the rm) is swept by prune', async () => {
  const store = tempStore();
  const kiln = await Kiln.open({ store: store.url, jobs: guaranteeJobs });
  const orphan = join(store.dir, 'artifacts', '01a20cec-0000-7000-8000-000000000000');
  mkdirSync(orphan, { recursive: true });
  writeFileSync(join(orphan, 'left.txt'), 'behind');
  // Opening the store leaves it (no scan on open); the first prune removes it.
  expect(existsSync(orphan)).toBe(true);
  await kiln.prune();
  expect(existsSync(orphan)).toBe(false);
  await kiln.close();
});
