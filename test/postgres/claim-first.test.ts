/**
 * A worker's turn claims before it writes (turn-statement.ts): its claim walks
 * `jobs_pending` right after the statement's snapshot is taken, not after its completions
 * and flushes. A claim that walked the index later, with the same old snapshot, still saw
 * as pending the jobs another worker had claimed since, and `FOR UPDATE` then locked their
 * newest version (running) before finding that it no longer matched: PostgreSQL keeps that
 * lock until the turn commits, so the other worker's next turn, completing those jobs,
 * waited for it. With four workers that made turns wait on each other (sampled as
 * `Lock:transactionid` in pg_stat_activity) and four workers drained slower than one.
 *
 * Here a transaction holds the row of worker B's completion, so B's turn stops in its
 * completion after its snapshot; worker A claims meanwhile. B's claim must not have
 * locked A's job: the newest version of A's job carries no lock of B's (`xmax`).
 */
import { afterEach, expect, test } from 'vitest';
import { Kiln } from '../../src/index.ts';
import type { ClaimedJob, TurnInput } from '../../src/store/store.ts';
import { waitFor } from '../support/helpers.ts';
import { useKiln } from '../support/library.ts';
import { useSchemaClients } from '../support/pg-clients.ts';
import { testJob, testJobs } from '../support/test-jobs.ts';

const openKiln = useKiln();
const client = useSchemaClients();
const kilns: Kiln[] = [];
afterEach(async () => {
  for (const k of kilns.splice(0)) await k.close().catch(() => {});
});

const claimOne = (owner: string): TurnInput['claim'] => ({
  owner,
  limit: 1,
  leaseMs: 60_000,
  types: [{ type: testJob.type, cap: null }],
});

const complete = (job: ClaimedJob, owner: string): TurnInput['settles'][number] => ({
  kind: 'complete',
  fence: { id: job.id, attempt: job.attempt, owner, row: job.row },
  resultJson: null,
});

test("a turn's claim does not lock jobs another worker claimed while the turn's completions waited", async () => {
  const { kiln: a, kind, url } = await openKiln({ jobs: testJobs });
  expect(kind).toBe('postgres');
  const schema = new URL(url).searchParams.get('schema')!;
  const b = await Kiln.open({ store: url, jobs: testJobs });
  kilns.push(b);
  await a.enqueueMany([0, 1, 2, 3].map((i) => ({ job: testJob, params: { value: i } })));

  const first = await b.store.turn({ settles: [], reaps: [], flushes: [], claim: claimOne('b') });
  expect(first.claimed).toHaveLength(1);
  const held = first.claimed[0]!;

  // Another transaction holds the row B is about to complete.
  const blocker = await client(schema);
  const watch = await client(schema);
  await blocker.query('BEGIN');
  await blocker.query('SELECT 1 FROM jobs WHERE rid = $1 FOR UPDATE', [held.row]);
  const { rows: xid } = await blocker.query<{ x: string }>(
    'SELECT pg_current_xact_id()::text AS x',
  );
  const turnB = b.store.turn({
    settles: [complete(held, 'b')],
    reaps: [],
    flushes: [],
    claim: claimOne('b'),
  });
  await waitFor(
    async () => {
      const { rows } = await watch.query(
        `SELECT 1 FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted
           AND transactionid::text = $1`,
        [xid[0]!.x],
      );
      return rows.length > 0;
    },
    { what: "B's turn to wait for the held row" },
  );

  // Worker A claims and commits while B's turn waits.
  const turnA = await a.store.turn({ settles: [], reaps: [], flushes: [], claim: claimOne('a') });
  expect(turnA.claimed).toHaveLength(1);
  const claimedByA = turnA.claimed[0]!;

  await blocker.query('COMMIT');
  const resultB = await turnB;
  expect(resultB.settled).toEqual([true]);
  expect(resultB.claimed).toHaveLength(1);
  expect(resultB.claimed[0]!.row).not.toBe(claimedByA.row);

  // A row's updated_seq is the id of the transaction that wrote it (postgres/sql.ts,
  // TX_SEQ); the newest version of A's job may carry A's own claim lock, never B's.
  const { rows } = await watch.query<{ rid: string; xmax: string; seq: string; owner: string }>(
    `SELECT rid::text, xmax::text AS xmax, updated_seq::text AS seq, lease_owner AS owner
       FROM jobs WHERE rid = ANY($1) ORDER BY rid`,
    [[held.row, claimedByA.row]],
  );
  const ofB = rows.find((r) => Number(r.rid) === held.row)!;
  const ofA = rows.find((r) => Number(r.rid) === claimedByA.row)!;
  expect(ofA.owner).toBe('a');
  expect(ofA.xmax).not.toBe(ofB.seq);
  expect(['0', ofA.seq]).toContain(ofA.xmax);
});
