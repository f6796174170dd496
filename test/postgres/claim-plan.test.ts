/**
 * The worker turn's plan on PostgreSQL right after a burst of enqueues. The claim is cheap
 * only as an ordered walk of `jobs_pending`, and the claimed rows must be reached by key.
 * Planned on statistics from before the burst, PostgreSQL read every pending row and
 * sorted them for each claim (a bitmap scan), and reached the claimed rows by reading the
 * whole table (a hash join over a sequential scan): each turn then cost more the more jobs
 * there were (src/store/postgres/planner-stats.ts, turn-statement.ts).
 */
import type pg from 'pg';
import { expect, test } from 'vitest';
import { PLANNED_SETTINGS } from '../../src/store/postgres/connection.ts';
import { TURN } from '../../src/store/postgres/turn-statement.ts';
import { waitFor } from '../support/helpers.ts';
import { useKiln } from '../support/library.ts';
import { useSchemaClients } from '../support/pg-clients.ts';
import { testJob, testJobs } from '../support/test-jobs.ts';

const open = useKiln();
const connect = useSchemaClients();

const JOBS = 5_000;
const BATCH = 50;

test('after a burst of enqueues, a turn claims through jobs_pending in order and reaches rows by key, also as a generic plan', async () => {
  const t = await open({ jobs: testJobs });
  expect(t.kind).toBe('postgres');
  const schema = new URL(t.url).searchParams.get('schema')!;
  const client = await connect(schema);

  await t.kiln.enqueueMany(
    Array.from({ length: JOBS }, (_, i) => ({ job: testJob, params: { value: i } })),
  );
  // The enqueue refreshed the statistics itself, in the background: autovacuum would
  // take a minute or more (last_analyze is set by a manual ANALYZE only).
  await waitFor(
    async () => {
      const { rows } = await client.query<{ at: Date | null }>(
        `SELECT last_analyze AS at FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'jobs'`,
        [schema],
      );
      return rows[0]?.at != null;
    },
    { what: 'the enqueue to have analyzed jobs' },
  );

  // A turn completing 50 running jobs and claiming 50 more, as the worker sends it.
  const rids = Array.from({ length: BATCH }, (_, i) => i + 1);
  const none = Array.from({ length: 11 }, () => []);
  const completions = [
    rids,
    rids.map(() => 1),
    rids.map(() => 'owner'),
    rids.map(() => null),
    rids.map(() => false),
    rids.map(() => null),
    rids.map(() => false),
    rids.map(() => null),
    rids.map(() => 0),
    rids.map(() => 0),
    rids.map(() => 0),
  ];
  const logs = Array.from({ length: 8 }, () => []);
  const values = [...none, ...completions, ...logs, [testJob.type], BATCH, 'owner', 60_000];
  const custom = await explain(client, `EXPLAIN ${TURN}`, values);
  expectGoodPlan(custom);

  // The worker runs it on connections with PLANNED_SETTINGS: one generic plan, for any values.
  const planned = await connect(schema, PLANNED_SETTINGS);
  await planned.query(`PREPARE turn AS ${TURN}`);
  // EXPLAIN EXECUTE takes its arguments as literals, not as bound parameters.
  const literal = (v: unknown) =>
    typeof v === 'number'
      ? String(v)
      : planned.escapeLiteral(Array.isArray(v) ? arrayLiteral(v) : String(v));
  const generic = await explain(
    planned,
    `EXPLAIN EXECUTE turn(${values.map(literal).join(', ')})`,
    [],
  );
  expectGoodPlan(generic);
});

/**
 * The claim walks jobs_pending in order; every row is reached by key (the claimed ones, and
 * the completed ones hash-joined to their values), never by reading all pending rows, all
 * running ones (jobs_running) or the table, nor by comparing each row with each value.
 */
function expectGoodPlan(plan: string): void {
  expect(plan).toContain('Index Scan using jobs_pending on jobs');
  // A bitmap scan by key (`rid = ANY`, through jobs_pkey) is as good as an index scan,
  // and the planner picks either by its costs of the moment; a bitmap over any other
  // condition is the bad plan, reading every pending row.
  const bitmapConditions = [
    ...plan.matchAll(/Bitmap Heap Scan on jobs\b[^\n]*\n\s*Recheck Cond: ([^\n]*)/g),
  ].map((m) => m[1]);
  expect(plan.match(/Bitmap Heap Scan on jobs\b/g)?.length ?? 0).toBe(bitmapConditions.length);
  for (const cond of bitmapConditions) expect(cond).toMatch(/^\(rid = ANY/);
  expect(plan).not.toMatch(/Seq Scan on jobs\b/);
  expect(plan).not.toContain('jobs_running');
  expect(plan).not.toMatch(/Join Filter: .*rid = v/);
  // The claimed rows and the completed ones (and the flushed ones, unless folded away).
  expect(plan.match(/Index Cond: \(rid = ANY/g)?.length).toBeGreaterThanOrEqual(2);
}

async function explain(client: pg.Client, sql: string, values: unknown[]): Promise<string> {
  const { rows } = await client.query<{ 'QUERY PLAN': string }>(sql, values);
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

/** An array parameter as PostgreSQL's text form, for EXECUTE's untyped arguments. */
function arrayLiteral(values: unknown[]): string {
  const item = (v: unknown) => (v === null ? 'NULL' : `"${String(v).replaceAll('"', '\\"')}"`);
  return `{${values.map(item).join(',')}}`;
}
