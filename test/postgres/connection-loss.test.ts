/**
 * Guarantee 4 on PostgreSQL when the database drops a worker's connections: every
 * backend of a worker process (its pool and its LISTEN connection) is killed with
 * pg_terminate_backend, again and again, while a long job runs and short ones stream
 * through. A turn cut off mid-flight rolls back, or commits without the worker hearing
 * so; either way the worker connects again and goes on, and every job runs and completes
 * exactly once: no completion lost (the job would hang or run again), none twice.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { type EnqueueItem, Kiln } from '../../src/index.ts';
import { parsePostgresUrl } from '../../src/store/open.ts';
import { PgConnection } from '../../src/store/postgres/connection.ts';
import { guaranteeJobs } from '../guarantees/support/jobs.ts';
import { spawnWorkerProcess, teardown, testStore } from '../guarantees/support/processes.ts';
import { waitFor } from '../support/helpers.ts';
import type { TestStore } from '../support/stores.ts';
import { testJob } from '../support/test-jobs.ts';

afterEach(teardown);

const SHORT = 300;
const ROUNDS = 20;

/** "<jobId> <attempt> <pid>" lines, as test-jobs.ts writes them. */
function lines(file: string): { id: string; attempt: number }[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [id, attempt] = l.split(' ');
      return { id: id!, attempt: Number(attempt) };
    });
}

/** The backends of a process's connections (its PGAPPNAME, processes.ts). */
async function backends(store: TestStore, appName: string): Promise<number[]> {
  const rows = await store.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE application_name = ?',
    appName,
  );
  return rows.map((r) => r.pid);
}

test('a worker whose connections are killed mid-job completes every job exactly once', async () => {
  const store = testStore();
  expect(store.kind).toBe('postgres');
  const startLog = join(store.dir, 'start.log');
  const doneLog = join(store.dir, 'done.log');
  // The long job ends only when the test says so: on a busy machine 20 rounds of kills
  // can take longer than any fixed sleep.
  const release = join(store.dir, 'release');
  const kiln = await Kiln.open({ store: store.url, jobs: guaranteeJobs });
  const worker = spawnWorkerProcess(
    store.url,
    { concurrency: 10, types: ['test'] },
    { errors: true },
  );
  await worker.ready;

  const long = await kiln.enqueue(testJob, {
    action: 'sleep',
    until: release,
    value: 'long',
    startLog,
    doneLog,
  });
  await waitFor(() => lines(startLog).some((l) => l.id === long.id), {
    what: 'the long job to start',
  });
  const items: EnqueueItem[] = Array.from({ length: SHORT }, (_, i) => ({
    job: testJob,
    params: { action: 'sleep', ms: 10, value: i, startLog, doneLog },
  }));
  const ids = [long.id, ...(await kiln.enqueueMany(items)).map((r) => r.id)];

  // Each round waits for the worker to have connected again, then kills every backend
  // it has (pg_stat_activity lists a killed backend for a moment after).
  const killed = new Set<number>();
  let doneAtFirstKill = -1;
  for (let round = 0; round < ROUNDS; round++) {
    const fresh = await waitFor(
      async () => {
        const pids = (await backends(store, worker.appName)).filter((p) => !killed.has(p));
        return pids.length > 0 ? pids : null;
      },
      { what: `the worker to connect again (round ${round})` },
    );
    if (round === 0) doneAtFirstKill = lines(doneLog).length;
    for (const pid of fresh) {
      const [row] = await store.query<{ ok: boolean }>(
        'SELECT pg_terminate_backend(?::int) AS ok',
        pid,
      );
      if (row!.ok) killed.add(pid);
    }
  }
  expect(killed.size).toBeGreaterThanOrEqual(ROUNDS);
  // Not vacuous: the kills came while the long job ran, and short jobs were still queued.
  expect(lines(doneLog).some((l) => l.id === long.id)).toBe(false);
  expect(doneAtFirstKill).toBeLessThan(SHORT);
  writeFileSync(release, '');

  // A claim whose commit the worker never heard of is taken again once its lease (8 s)
  // runs out: the bound allows for that.
  await waitFor(
    async () => {
      const [row] = await store.query<{ n: number }>(
        `SELECT count(*) AS n FROM jobs WHERE state = 'completed'`,
      );
      return row!.n === ids.length;
    },
    { timeoutMs: 30_000, intervalMs: 50, what: 'every job to complete' },
  );
  expect(worker.child.exitCode).toBeNull();

  const count = (entries: { id: string }[]) => {
    const n = new Map<string, number>();
    for (const e of entries) n.set(e.id, (n.get(e.id) ?? 0) + 1);
    return n;
  };
  const started = count(lines(startLog));
  const done = count(lines(doneLog));
  expect(ids.filter((id) => started.get(id) !== 1)).toEqual([]);
  expect(ids.filter((id) => done.get(id) !== 1)).toEqual([]);
  expect(started.size).toBe(ids.length);
  const final = await kiln.jobs.get(long.id);
  expect(final).toMatchObject({ state: 'completed', result: { value: 'long' } });
  await kiln.close();
});

test('a backend killed between two statements of a transaction fails that call, and the process goes on', async () => {
  const store = testStore();
  const c = new PgConnection(parsePostgresUrl(store.url));
  try {
    const call = c.write(async (tx) => {
      let ended = false;
      tx.client.once('end', () => {
        ended = true;
      });
      const [row] = (await tx.client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
      await store.query('SELECT pg_terminate_backend(?::int)', row!.pid);
      // The backend's last word arrives while no statement runs: before the fix in
      // connection.ts (checkout) it was an unhandled 'error' event, fatal to the process.
      await waitFor(() => ended, {
        timeoutMs: 5_000,
        what: 'the client to see its connection end',
      });
      await tx.client.query('SELECT 1');
    });
    await expect(call).rejects.toThrow();
    // The pool connects again for the next call.
    expect(await c.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  } finally {
    await c.close();
  }
});
