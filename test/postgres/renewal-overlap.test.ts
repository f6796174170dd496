/**
 * A worker's lease renewal and its turns never run at the same time. Both update the
 * worker's running rows in one statement, in different orders (the renewal by
 * jobs_running, a turn's flushes and completions by rowid), and two such statements
 * can deadlock: PostgreSQL then aborts one after `deadlock_timeout`. Renewals every
 * 2 ms beside back-to-back turns: before the worker kept them apart, this run met
 * deadlocks and timed out. (On SQLite a store call does not interleave with another.)
 */
import { expect, test } from 'vitest';
import { useKiln, waitForJob } from '../support/library.ts';
import { testJob, testJobs } from '../support/test-jobs.ts';

const openKiln = useKiln();

test('a lease renewal never runs beside a turn (both write the running rows; on PostgreSQL they could deadlock)', async () => {
  const { kiln, work } = await openKiln({ jobs: testJobs });
  const store = kiln.store;
  const turn = store.turn.bind(store);
  const renew = store.renewLeases.bind(store);
  let turns = 0;
  let renewals = 0;
  let overlaps = 0;
  let renewed = 0;
  store.turn = async (input) => {
    turns++;
    if (renewals > 0) overlaps++;
    try {
      return await turn(input);
    } finally {
      turns--;
    }
  };
  store.renewLeases = async (owner, leaseMs) => {
    renewals++;
    if (turns > 0) overlaps++;
    try {
      return await renew(owner, leaseMs);
    } finally {
      renewals--;
      renewed++;
    }
  };
  // Turns back to back (progress every step, completions) and a renewal every 2 ms.
  work({ renewEveryMs: 2, concurrency: 8 });
  const ids = [];
  for (let i = 0; i < 8; i++)
    ids.push((await kiln.enqueue(testJob, { action: 'progress', ms: 300, steps: 60 })).id);
  for (const id of ids) await waitForJob(kiln, id, 'completed');
  expect(renewed).toBeGreaterThan(10);
  expect(overlaps).toBe(0);
});
