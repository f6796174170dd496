/**
 * Guarantees 4 and 5 on PostgreSQL at volume: four worker processes drain 20,000 jobs,
 * enqueued while they run, from one schema. Their claims race for the same rows (FOR
 * UPDATE SKIP LOCKED, worker-queries.ts and turn-statement.ts): every job must run
 * exactly once, on attempt 1, and be completed with its own result; none may be lost.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { type EnqueueItem, Kiln } from '../../src/index.ts';
import { guaranteeJobs } from '../guarantees/support/jobs.ts';
import { spawnWorkerProcess, teardown, testStore } from '../guarantees/support/processes.ts';
import { waitFor } from '../support/helpers.ts';

afterEach(teardown);

const JOBS = 20_000;
const CHUNK = 2_000;

test('four worker processes complete 20,000 jobs exactly once, none lost', async () => {
  const store = testStore();
  expect(store.kind).toBe('postgres');
  const doneLog = join(store.dir, 'done.log');
  const kiln = await Kiln.open({ store: store.url, jobs: guaranteeJobs });
  // Only the uncapped type: a claim that may take a capped type goes the transaction
  // path under a per-type lock (worker-queries.ts), which would make the claims take turns.
  const options = { concurrency: 50, types: ['test'] };
  const workers = [0, 1, 2, 3].map(() => spawnWorkerProcess(store.url, options));
  await Promise.all(workers.map((w) => w.ready));
  const pids = new Set(workers.map((w) => w.pid));

  const startedAt = Date.now();
  const valueById = new Map<string, number>();
  for (let start = 0; start < JOBS; start += CHUNK) {
    const items: EnqueueItem[] = Array.from({ length: CHUNK }, (_, k) => ({
      job: 'test',
      params: { action: 'succeed', value: start + k, doneLog },
    }));
    for (const [k, r] of (await kiln.enqueueMany(items)).entries()) valueById.set(r.id, start + k);
  }
  expect(valueById.size).toBe(JOBS);
  const completed = async () =>
    (
      await store.query<{ n: number }>(`SELECT count(*) AS n FROM jobs WHERE state = 'completed'`)
    )[0]!.n;
  await waitFor(async () => (await completed()) === JOBS, {
    timeoutMs: 30_000,
    intervalMs: 100,
    what: 'every job to complete',
  });
  const drainMs = Date.now() - startedAt;

  // Every row: completed on attempt 1 with the result of its own params.
  const rows = await store.query<{ id: string; state: string; attempt: number; result: string }>(
    'SELECT id, state, attempt, result FROM jobs',
  );
  expect(rows).toHaveLength(JOBS);
  const wrong = rows.filter(
    (r) =>
      r.state !== 'completed' ||
      r.attempt !== 1 ||
      JSON.stringify(JSON.parse(r.result)) !==
        JSON.stringify({ value: valueById.get(r.id), attempt: 1 }),
  );
  expect(wrong.slice(0, 5)).toEqual([]);

  // Every handler ran once: one line per job, from one of our four workers, which all
  // took part.
  const lines = readFileSync(doneLog, 'utf8').trimEnd().split('\n');
  const runs = new Map<string, number>();
  const byPid = new Map<number, number>();
  for (const line of lines) {
    const [id, attempt, pid] = line.split(' ');
    expect(attempt).toBe('1');
    expect(pids.has(Number(pid))).toBe(true);
    runs.set(id!, (runs.get(id!) ?? 0) + 1);
    byPid.set(Number(pid), (byPid.get(Number(pid)) ?? 0) + 1);
  }
  expect([...runs].filter(([, n]) => n !== 1)).toEqual([]);
  expect(runs.size).toBe(JOBS);
  expect([...valueById.keys()].filter((id) => !runs.has(id))).toEqual([]);
  expect(byPid.size).toBe(4);
  console.log(
    `drained ${JOBS} jobs in ${drainMs} ms; per worker: ${[...byPid.values()].join(', ')}`,
  );
  await kiln.close();
});
