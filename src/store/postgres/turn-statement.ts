import { type ClaimRow, toClaimed } from '../rows.ts';
import type { ClaimedJob, Fence, ProgressFlush, Settle, TurnInput, TurnResult } from '../store.ts';
import type { PgConnection, PgValue } from './connection.ts';
import { CAPPED_DUE, TX_SEQ } from './sql.ts';

/**
 * A worker's whole turn as one SQL statement, so one round trip and one commit: the
 * progress flushes, the completions, their log lines and the claim, each a
 * data-modifying CTE (the NOTIFY follows the commit: PgConnection.announceCommit). A
 * statement outside BEGIN is a transaction of its own. Each round trip costs about
 * 0.25 ms here and each commit a WAL flush, and a turn done as BEGIN, four statements
 * and COMMIT spent most of its time waiting on them.
 *
 * The CTEs of one statement all see the same snapshot, and PostgreSQL does not allow a
 * statement to change one row twice: a job that reports and completes in the same turn
 * has its last report folded into its completion (`fold`). Claims touch pending rows,
 * the other two running ones, so they never meet.
 *
 * The claim is read first (the first branch of the final UNION ALL), so that it walks
 * jobs_pending right after the statement's snapshot is taken. Walked after the writes,
 * with that same snapshot, it still saw as pending the jobs another worker had claimed
 * and committed meanwhile, and `FOR UPDATE` locked their newest version before finding
 * that it no longer matched; PostgreSQL keeps such a lock until the commit, so the other
 * worker's next turn, completing those jobs, waited for this one
 * (test/postgres/claim-first.test.ts). Four workers then drained slower than one.
 *
 * The statement is planned once per connection, a generic plan for any values
 * (PgConnection.planned: planning it afresh cost 0.9–3.3 ms of every turn), so its shapes
 * are chosen for plans that are good whatever the arrays hold
 * (test/postgres/claim-plan.test.ts):
 * - the claimed rows are reached with `rid = ANY(ARRAY(…))`, an index lookup whatever the
 *   statistics say: as `FROM p WHERE jobs.rid = p.rid` PostgreSQL hashed the whole jobs
 *   table for 250 rows (EXPLAIN ANALYZE, 20,000 jobs: 4.5 ms of a 12 ms turn);
 * - flushes and completions find their rows by key and hash-join them to their values
 *   (`fence`; the turn's connections plan no nested loops: PgConnection.planned). The
 *   fence's tests of the state and the lease are comparisons with columns of the values:
 *   as conditions on jobs alone, PostgreSQL estimated them from statistics that may have
 *   been taken while no job was running (the enqueue's ANALYZE, before the worker
 *   starts), expected one running row and read them all, from the partial index
 *   jobs_running or the whole table, comparing each with each value (a nested loop over
 *   both: 2,450 comparisons for 50 completions, more with every running job of every
 *   worker);
 * - the flush and completion updates are guarded by `cardinality(…) > 0`, so they scan
 *   nothing when their arrays are empty.
 * The claim's ordered walk of jobs_pending depends on fresh statistics after a burst
 * (planner-stats.ts; an ANALYZE also makes the cached plan again). Turns with retries,
 * failures, releases, stall reaps or per-type caps take the transaction path (worker-queries.ts).
 */

/** The statement clock: one value for the whole statement, on the database's clock. */
const NOW = '(extract(epoch from statement_timestamp()) * 1000)::bigint';
/**
 * A write's fence, joining jobs to the values `v` of flushes or completions (`rids`: their
 * array). The rows are found by key (`rid = ANY`); the state and the lease's end are
 * compared with columns of `v` (FENCE_VALUES, kept apart by OFFSET 0) rather than with
 * constants, so that they are join conditions, not conditions on jobs alone (see above).
 */
const fence = (rids: string) => `jobs.rid = ANY(${rids}) AND jobs.rid = v.rid
  AND jobs.attempt = v.attempt AND jobs.lease_owner = v.owner
  AND jobs.state = v.running AND jobs.lease_expires_at_ms >= v.now`;
const FENCE_VALUES = `'running'::text AS running, ${NOW} AS now`;
/**
 * Whether a flush (or the one folded into a completion) is fresh: its mark above the
 * job's. One that is not was applied already (ProgressFlush.mark): only the heartbeat
 * counts. In SET, `jobs.flush_mark` is the row before the update; the log lines (l) read
 * it from the statement's snapshot, which is that same version.
 */
const FRESH = 'v.mark > jobs.flush_mark';
/** Columns shared by flushes and completions, after rid, attempt, owner. */
const REPORT = `has_message, message, has_checkpoint, checkpoint, tokens, cost, mark`;
const REPORT_SET = `progress_message = CASE WHEN ${FRESH} AND v.has_message THEN v.message ELSE jobs.progress_message END,
    checkpoint = CASE WHEN ${FRESH} AND v.has_checkpoint THEN v.checkpoint ELSE jobs.checkpoint END,
    usage_tokens = jobs.usage_tokens + CASE WHEN ${FRESH} THEN v.tokens ELSE 0 END,
    usage_cost_usd = jobs.usage_cost_usd + CASE WHEN ${FRESH} THEN v.cost ELSE 0 END,
    flush_mark = greatest(jobs.flush_mark, v.mark)`;

export const TURN = `WITH
f AS (UPDATE jobs SET
    progress = CASE WHEN ${FRESH} AND v.progress IS NOT NULL AND v.progress >= jobs.progress
      THEN v.progress ELSE jobs.progress END,
    progress_message = CASE WHEN ${FRESH} AND v.has_message AND (v.progress IS NULL OR v.progress >= jobs.progress)
      THEN v.message ELSE jobs.progress_message END,
    checkpoint = CASE WHEN ${FRESH} AND v.has_checkpoint THEN v.checkpoint ELSE jobs.checkpoint END,
    usage_tokens = jobs.usage_tokens + CASE WHEN ${FRESH} THEN v.tokens ELSE 0 END,
    usage_cost_usd = jobs.usage_cost_usd + CASE WHEN ${FRESH} THEN v.cost ELSE 0 END,
    flush_mark = greatest(jobs.flush_mark, v.mark),
    heartbeat_at_ms = ${NOW}, updated_seq = ${TX_SEQ}
  FROM (SELECT *, ${FENCE_VALUES} FROM unnest($1::bigint[], $2::int[], $3::text[], $4::float8[],
    $5::bool[], $6::text[], $7::bool[], $8::text[], $9::bigint[], $10::float8[], $11::bigint[])
    AS u(rid, attempt, owner, progress, ${REPORT}) OFFSET 0) AS v
  WHERE cardinality($1::bigint[]) > 0 AND ${fence('$1::bigint[]')} RETURNING jobs.rid, jobs.attempt),
c AS (UPDATE jobs SET state = 'completed', result = v.result, progress = 1, ${REPORT_SET},
    finished_at_ms = ${NOW}, expires_at_ms = ${NOW} + jobs.retention_ms, lease_expires_at_ms = NULL,
    updated_seq = ${TX_SEQ}
  FROM (SELECT *, ${FENCE_VALUES} FROM unnest($12::bigint[], $13::int[], $14::text[], $15::text[],
    $16::bool[], $17::text[], $18::bool[], $19::text[], $20::bigint[], $21::float8[], $22::bigint[])
    AS u(rid, attempt, owner, result, ${REPORT}) OFFSET 0) AS v
  WHERE cardinality($12::bigint[]) > 0 AND ${fence('$12::bigint[]')} RETURNING jobs.rid, jobs.attempt),
l AS (INSERT INTO job_logs (job_id, attempt, at_ms, level, message, fields)
  SELECT x.job_id, x.attempt, x.at_ms, x.level, x.message, x.fields
  FROM unnest($23::bigint[], $24::int[], $25::text[], $26::bigint[], $27::text[], $28::text[], $29::text[],
    $30::bigint[]) WITH ORDINALITY AS x(rid, attempt, job_id, at_ms, level, message, fields, mark, n)
  WHERE (EXISTS (SELECT 1 FROM f WHERE f.rid = x.rid AND f.attempt = x.attempt)
     OR EXISTS (SELECT 1 FROM c WHERE c.rid = x.rid AND c.attempt = x.attempt))
    AND x.mark > (SELECT o.flush_mark FROM jobs o WHERE o.rid = x.rid)
  ORDER BY x.n),
p AS (SELECT j.rid FROM jobs j
  WHERE j.state = 'pending' AND j.run_at_ms <= ${NOW} AND j.type = ANY($31::text[])
    AND (j.batch_id IS NULL OR NOT EXISTS (SELECT 1 FROM batches b WHERE b.id = j.batch_id AND b.paused = 1))
    AND j.batch_concurrency IS NULL
  ORDER BY j.priority DESC, j.run_at_ms, j.rid LIMIT $32 FOR UPDATE OF j SKIP LOCKED),
k AS (UPDATE jobs SET state = 'running', attempt = jobs.attempt + 1, lease_owner = $33,
    lease_expires_at_ms = ${NOW} + $34::bigint, started_at_ms = ${NOW}, heartbeat_at_ms = ${NOW},
    progress = 0, progress_message = NULL, updated_seq = ${TX_SEQ}
  WHERE jobs.rid = ANY(ARRAY(SELECT rid FROM p))
  RETURNING jobs.rid, jobs.attempt, jobs.id, jobs.type, jobs.name,
    (SELECT q.params FROM job_params q WHERE q.rid = jobs.rid) AS params, jobs.batch_id,
    jobs.max_attempts, jobs.checkpoint)
SELECT 'k', rid, id, type, name, params, batch_id, attempt, max_attempts, checkpoint FROM k
UNION ALL SELECT 'f', rid, NULL, NULL, NULL, NULL, NULL, attempt, NULL::int, NULL FROM f
UNION ALL SELECT 'c', rid, NULL, NULL, NULL, NULL, NULL, attempt, NULL::int, NULL FROM c
UNION ALL SELECT 'b', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL::int, NULL
  WHERE $32 > 0 AND ${CAPPED_DUE}`;

/**
 * A written row ('f' flushed, 'c' completed: rid and attempt), a claimed one ('k'), or
 * 'b': jobs of capped batches are due, which this claim leaves out (worker-queries.ts).
 * The probe is one look into the partial index jobs_pending_capped, empty while no batch
 * has a cap: the statement is otherwise the one it was before batch caps.
 */
type TurnRow = ['f' | 'c' | 'k' | 'b', ...ClaimRow];

type Completion = Extract<Settle, { kind: 'complete' }>;

/** Whether a turn can go as one statement. */
export function fitsOneStatement(input: TurnInput): boolean {
  return (
    input.reaps.length === 0 &&
    input.settles.every((s) => s.kind === 'complete') &&
    (input.claim === null || input.claim.types.every((t) => t.cap === null))
  );
}

const key = (f: Fence) => `${f.row}:${f.attempt}`;

/** The report columns of a flush (or of none), after the fence. */
function reportColumns(f: ProgressFlush | undefined): PgValue[] {
  return [
    f?.message !== undefined,
    f?.message ?? null,
    f?.checkpointJson !== undefined,
    f?.checkpointJson ?? null,
    Math.round(f?.usage?.tokens ?? 0),
    f?.usage?.costUsd ?? 0,
    f?.mark ?? 0,
  ];
}

/** Appends one row's values to the column arrays. */
function push(columns: PgValue[][], values: PgValue[]): void {
  for (let i = 0; i < values.length; i++) (columns[i] as PgValue[]).push(values[i]!);
}

export async function turnInOneStatement(
  c: PgConnection,
  input: TurnInput,
): Promise<{ result: TurnResult; cappedBatchesAreDue: boolean }> {
  const completions = input.settles as Completion[];
  // A flush of a job that completes in this turn rides on its completion (see above).
  const completing = new Map(completions.map((s) => [key(s.fence), s]));
  const folded = new Map<string, ProgressFlush>();
  const flushes: ProgressFlush[] = [];
  for (const f of input.flushes) {
    if (completing.has(key(f.fence))) folded.set(key(f.fence), f);
    else flushes.push(f);
  }
  const flushColumns: PgValue[][] = Array.from({ length: 11 }, () => []);
  for (const f of flushes) {
    push(flushColumns, [
      f.fence.row,
      f.fence.attempt,
      f.fence.owner,
      f.progress ?? null,
      ...reportColumns(f),
    ]);
  }
  const completeColumns: PgValue[][] = Array.from({ length: 11 }, () => []);
  for (const s of completions) {
    push(completeColumns, [
      s.fence.row,
      s.fence.attempt,
      s.fence.owner,
      s.resultJson,
      ...reportColumns(folded.get(key(s.fence))),
    ]);
  }
  const logColumns: PgValue[][] = Array.from({ length: 8 }, () => []);
  for (const f of input.flushes) {
    for (const l of f.logs ?? []) {
      push(logColumns, [
        f.fence.row,
        f.fence.attempt,
        f.fence.id,
        Math.round(l.atMs),
        l.level,
        l.message,
        l.fieldsJson,
        f.mark,
      ]);
    }
  }
  const claim = input.claim && input.claim.limit > 0 ? input.claim : null;
  const rows = await c.planned<TurnRow>('kiln_turn', TURN, [
    ...flushColumns,
    ...completeColumns,
    ...logColumns,
    claim ? claim.types.map((t) => t.type) : [],
    claim ? Math.floor(claim.limit) : 0,
    claim?.owner ?? '',
    claim?.leaseMs ?? 0,
  ]);
  const written = { f: new Set<string>(), c: new Set<string>() };
  const claimed: ClaimedJob[] = [];
  let cappedBatchesAreDue = false;
  for (const r of rows) {
    const [kind, ...row] = r;
    if (kind === 'k') claimed.push(toClaimed(row));
    else if (kind === 'b') cappedBatchesAreDue = true;
    else written[kind].add(`${row[0]}:${row[6]}`);
  }
  if (rows.some((r) => r[0] !== 'b')) c.announceCommit();
  const settled = completions.map((s) => written.c.has(key(s.fence)));
  const lostFences: Fence[] = [];
  for (const f of input.flushes) {
    const k = key(f.fence);
    if (!(folded.has(k) ? written.c.has(k) : written.f.has(k))) lostFences.push(f.fence);
  }
  return { result: { settled, reaped: [], lostFences, claimed }, cappedBatchesAreDue };
}
