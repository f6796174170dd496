/**
 * An API cancel or retry of many jobs never deadlocks with a worker's turn. A turn holds
 * the rows it writes until it commits, and takes them in an order of its own (its
 * flushes, then its completions: turn-statement.ts). A cancel that locked the batch's
 * rows in an order of its own could hold one the turn was about to take while waiting
 * for one the turn held; PostgreSQL then aborted one of the two after `deadlock_timeout`
 * (a run of 300 batch cancels beside reporting jobs met 2 failed cancels and 5 aborted
 * turns). Here a transaction stands in for the turn, in the order that meets the cancel
 * head-on: it holds the later row, waits until the cancel is blocked, then takes the
 * earlier one.
 */
import { expect, test } from 'vitest';
import { waitFor } from '../support/helpers.ts';
import { useKiln } from '../support/library.ts';
import { useSchemaClients } from '../support/pg-clients.ts';
import { testJob, testJobs } from '../support/test-jobs.ts';

const openKiln = useKiln();
const client = useSchemaClients();

for (const action of ['cancel', 'retry'] as const) {
  test(`a batch ${action} waits for a turn holding its rows instead of deadlocking with it`, async () => {
    const { kiln, kind, url } = await openKiln({ jobs: testJobs });
    expect(kind).toBe('postgres');
    const schema = new URL(url).searchParams.get('schema')!;
    const batch = await kiln.batches.create({
      name: 'head-on',
      jobs: [0, 1, 2].map(() => ({ type: testJob.type, params: {} })),
    });
    // A retry changes failed and cancelled jobs: the batch's jobs are cancelled first.
    if (action === 'retry') await kiln.batches.cancel(batch.id);
    const turn = await client(schema);
    const watch = await client(schema);
    const rows = await turn.query<{ rid: string }>(
      'SELECT rid FROM jobs WHERE batch_id = $1 ORDER BY rid',
      [batch.id],
    );
    const [first, , last] = rows.rows.map((r) => Number(r.rid));

    await turn.query('BEGIN');
    await turn.query('UPDATE jobs SET heartbeat_at_ms = 1 WHERE rid = $1', [last]);
    const { rows: xid } = await turn.query<{ x: string }>('SELECT pg_current_xact_id()::text AS x');
    const changed =
      action === 'cancel'
        ? kiln.store.cancelJobs({ batchId: batch.id })
        : kiln.store.retryJobs({ batchId: batch.id }, true);
    const outcome = changed.then(
      (ids) => ({ ids }),
      (error: unknown) => ({ error: String(error) }),
    );
    // The cancel (or retry) now waits for the row the turn holds.
    await waitFor(async () => {
      const { rows } = await watch.query(
        `SELECT 1 FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted
           AND transactionid::text = $1`,
        [xid[0]!.x],
      );
      return rows.length > 0;
    });
    // The turn takes the earlier row: before, the cancel held it (deadlock).
    const earlier = turn.query('UPDATE jobs SET heartbeat_at_ms = 2 WHERE rid = $1', [first]).then(
      () => 'ok',
      (error: unknown) => String(error),
    );
    expect(await earlier).toBe('ok');
    await turn.query('COMMIT');

    const result = await outcome;
    expect(result).toEqual({ ids: expect.any(Array) });
    expect((result as { ids: string[] }).ids).toHaveLength(3);
    const states = await turn.query<{ state: string; n: string }>(
      'SELECT state, count(*) AS n FROM jobs WHERE batch_id = $1 GROUP BY state',
      [batch.id],
    );
    expect(states.rows).toEqual([{ state: action === 'cancel' ? 'cancelled' : 'pending', n: '3' }]);
  });
}
