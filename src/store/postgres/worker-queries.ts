import { type ClaimRow, toClaimed } from '../rows.ts';
import {
  attemptEnd,
  type ClaimedJob,
  type ClaimRequest,
  type ExpiredAttempt,
  type Fence,
  type ProgressFlush,
  type Settle,
  type TurnInput,
  type TurnResult,
} from '../store.ts';
import type { PgConnection, PgTx, PgValue } from './connection.ts';
import { CAPPED_DUE, DB_NOW_MS, TX_SEQ } from './sql.ts';
import { fitsOneStatement, turnInOneStatement } from './turn-statement.ts';

/**
 * The worker's statements on PostgreSQL. As in the SQLite store (sqlite/worker-queries.ts),
 * every write names its attempt by (rid, attempt, owner) and requires the job still
 * running under an unexpired lease on the database's clock; stall reaps require the
 * lease to have expired instead. Many rows go in one statement: each column bound as an
 * array and turned back into rows by `unnest`, and RETURNING says which fences held.
 */
const LIVE = `state = 'running' AND lease_expires_at_ms >= $1::bigint`;
const EXPIRED = `state = 'running' AND lease_expires_at_ms < $1::bigint`;
const FENCE = `jobs.rid = v.rid AND jobs.attempt = v.attempt AND jobs.lease_owner = v.owner`;

type Completion = Extract<Settle, { kind: 'complete' }>;
type SingleSettle = Exclude<Settle, { kind: 'complete' }>;

/** Fence columns of `items` as three arrays, in order. */
function fenceColumns(items: { fence: Fence }[]): [number[], number[], string[]] {
  return [
    items.map((i) => i.fence.row),
    items.map((i) => i.fence.attempt),
    items.map((i) => i.fence.owner),
  ];
}

/** Which of `items` the statement wrote, from the (rid, attempt) pairs it returned. */
function heldOf(items: { fence: Fence }[], rows: { rid: number; attempt: number }[]): boolean[] {
  const written = new Set(rows.map((r) => `${r.rid}:${r.attempt}`));
  return items.map((i) => written.has(`${i.fence.row}:${i.fence.attempt}`));
}

async function complete(tx: PgTx, items: Completion[]): Promise<boolean[]> {
  if (items.length === 0) return [];
  const r = await tx.client.query<{ rid: number; attempt: number }>(
    `UPDATE jobs SET state = 'completed', result = v.result, progress = 1, finished_at_ms = $1,
       expires_at_ms = $1 + retention_ms, lease_expires_at_ms = NULL, updated_seq = ${TX_SEQ}
     FROM unnest($2::bigint[], $3::int[], $4::text[], $5::text[]) AS v(rid, attempt, owner, result)
     WHERE ${FENCE} AND jobs.${LIVE}
     RETURNING jobs.rid, jobs.attempt`,
    [tx.nowMs, ...fenceColumns(items), items.map((s) => s.resultJson)],
  );
  return heldOf(items, r.rows);
}

/** One UPDATE per settle kind; $1 is the clock, the fence and the kind's values follow. */
function settleSql(kind: SingleSettle['kind'], fence: string): string {
  const where = `rid = $2 AND attempt = $3 AND lease_owner = $4 AND ${fence}`;
  switch (kind) {
    case 'reschedule': // $5 error, $6 delay
      return `UPDATE jobs SET state = 'pending', error = $5, run_at_ms = $1::bigint + $6::bigint,
        lease_expires_at_ms = NULL, updated_seq = ${TX_SEQ} WHERE ${where}`;
    case 'fail': // $5 error
      return `UPDATE jobs SET state = 'failed', error = $5, finished_at_ms = $1,
        expires_at_ms = $1 + retention_ms, lease_expires_at_ms = NULL, updated_seq = ${TX_SEQ} WHERE ${where}`;
    case 'release': // An interrupted attempt did not fail: the budget goes back, run_at stays.
      return `UPDATE jobs SET state = 'pending', max_attempts = max_attempts + 1,
        lease_expires_at_ms = NULL, updated_seq = ${TX_SEQ} WHERE ${where}`;
  }
}

async function settleOne(tx: PgTx, s: SingleSettle, which: 'live' | 'expired'): Promise<boolean> {
  const f = s.fence;
  const values: PgValue[] = [tx.nowMs, f.row, f.attempt, f.owner];
  if (s.kind === 'reschedule')
    values.push(JSON.stringify(s.error), Math.max(0, Math.round(s.delayMs)));
  else if (s.kind === 'fail') values.push(JSON.stringify(s.error));
  const r = await tx.client.query(settleSql(s.kind, which === 'live' ? LIVE : EXPIRED), values);
  if (r.rowCount !== 1) return false;
  // The ended attempt, from the row as the settle left it (slow paths only: attempt-rows.ts).
  await tx.client.query(
    `INSERT INTO job_attempts (job_id, attempt, state, started_at_ms, finished_at_ms, lease_owner, error)
     SELECT id, attempt, $2, started_at_ms, $3, lease_owner, $4 FROM jobs WHERE rid = $1
     ON CONFLICT (job_id, attempt) DO NOTHING`,
    [
      f.row,
      attemptEnd(s.kind, which === 'expired'),
      tx.nowMs,
      s.kind === 'release' ? null : JSON.stringify(s.error),
    ],
  );
  return true;
}

async function applySettles(tx: PgTx, settles: Settle[]): Promise<boolean[]> {
  const completions = settles.filter((s): s is Completion => s.kind === 'complete');
  const completed = await complete(tx, completions);
  const held: boolean[] = [];
  let k = 0;
  for (const s of settles) {
    held.push(s.kind === 'complete' ? completed[k++]! : await settleOne(tx, s, 'live'));
  }
  return held;
}

/**
 * Progress only rises within an attempt (a lower value changes neither the fraction nor
 * the message), the heartbeat time is the database clock, a checkpoint is replaced only
 * when the flush carries one, usage adds up. A flush whose mark is not above the job's
 * (applied already: ProgressFlush.mark) only says the handler is alive; in SET,
 * `jobs.flush_mark` is the row before the update.
 */
const FRESH = 'v.mark > jobs.flush_mark';
const FLUSH = `UPDATE jobs SET
  progress = CASE WHEN ${FRESH} AND v.progress IS NOT NULL AND v.progress >= jobs.progress
    THEN v.progress ELSE jobs.progress END,
  progress_message = CASE WHEN ${FRESH} AND v.has_message AND (v.progress IS NULL OR v.progress >= jobs.progress)
    THEN v.message ELSE jobs.progress_message END,
  heartbeat_at_ms = $1,
  checkpoint = CASE WHEN ${FRESH} AND v.has_checkpoint THEN v.checkpoint ELSE jobs.checkpoint END,
  usage_tokens = jobs.usage_tokens + CASE WHEN ${FRESH} THEN v.tokens ELSE 0 END,
  usage_cost_usd = jobs.usage_cost_usd + CASE WHEN ${FRESH} THEN v.cost ELSE 0 END,
  flush_mark = greatest(jobs.flush_mark, v.mark),
  updated_seq = ${TX_SEQ}
FROM unnest($2::bigint[], $3::int[], $4::text[], $5::float8[], $6::bool[], $7::text[], $8::bool[],
  $9::text[], $10::bigint[], $11::float8[], $12::bigint[])
  AS v(rid, attempt, owner, progress, has_message, message, has_checkpoint, checkpoint, tokens, cost,
    mark)
WHERE ${FENCE} AND jobs.${LIVE}
RETURNING jobs.rid, jobs.attempt`;

async function applyFlushes(tx: PgTx, flushes: ProgressFlush[]): Promise<Fence[]> {
  if (flushes.length === 0) return [];
  // Whether the flushes with log lines are fresh, from their jobs' marks before the
  // update: only this worker's turns change them, one at a time.
  const withLogs = flushes.filter((f) => f.logs);
  const marks = new Map<number, number>();
  if (withLogs.length > 0) {
    const before = await tx.client.query<{ rid: number; mark: number }>(
      'SELECT rid, flush_mark AS mark FROM jobs WHERE rid = ANY($1::bigint[])',
      [withLogs.map((f) => f.fence.row)],
    );
    for (const r of before.rows) marks.set(r.rid, r.mark);
  }
  const fresh = flushes.map((f) => f.mark > (marks.get(f.fence.row) ?? Number.POSITIVE_INFINITY));
  const r = await tx.client.query<{ rid: number; attempt: number }>(FLUSH, [
    tx.nowMs,
    ...fenceColumns(flushes),
    flushes.map((f) => f.progress ?? null),
    flushes.map((f) => f.message !== undefined),
    flushes.map((f) => f.message ?? null),
    flushes.map((f) => f.checkpointJson !== undefined),
    flushes.map((f) => f.checkpointJson ?? null),
    flushes.map((f) => Math.round(f.usage?.tokens ?? 0)),
    flushes.map((f) => f.usage?.costUsd ?? 0),
    flushes.map((f) => f.mark),
  ]);
  const held = heldOf(flushes, r.rows);
  const lost: Fence[] = [];
  const logs: { f: ProgressFlush; l: NonNullable<ProgressFlush['logs']>[number] }[] = [];
  flushes.forEach((f, i) => {
    if (!held[i]) lost.push(f.fence);
    else if (fresh[i]) for (const l of f.logs ?? []) logs.push({ f, l });
  });
  if (logs.length > 0) {
    await tx.client.query(
      `INSERT INTO job_logs (job_id, attempt, at_ms, level, message, fields)
       SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::text[], $5::text[], $6::text[])`,
      [
        logs.map((x) => x.f.fence.id),
        logs.map((x) => x.f.fence.attempt),
        logs.map((x) => Math.round(x.l.atMs)),
        logs.map((x) => x.l.level),
        logs.map((x) => x.l.message),
        logs.map((x) => x.l.fieldsJson),
      ],
    );
  }
  return lost;
}

/**
 * Due, of the given types, not in a paused batch. $1 is the clock, $2 the types. Jobs of
 * a batch with a concurrency cap carry it on their own row (batch_concurrency, migration
 * 3), so the fast claims leave them out at no cost (the row is read anyway for its type
 * and batch); only the capped claim below takes them, serialized per batch.
 */
const DUE_BASE = `j.state = 'pending' AND j.run_at_ms <= $1::bigint AND j.type = ANY($2::text[])
  AND (j.batch_id IS NULL OR NOT EXISTS (SELECT 1 FROM batches b WHERE b.id = j.batch_id AND b.paused = 1))`;
const DUE = `${DUE_BASE} AND j.batch_concurrency IS NULL`;
/** With jobs of capped batches too, but not of those at their cap ($4, counted before the pick). */
const DUE_WITH_CAPPED = `${DUE_BASE} AND (j.batch_concurrency IS NULL OR j.batch_id <> ALL($4::text[]))`;

/** The claim's writes; $1 is the clock, `owner` and `lease` name the other two parameters. */
const claimSet = (
  owner: string,
  lease: string,
) => `SET state = 'running', attempt = jobs.attempt + 1,
  lease_owner = ${owner}, lease_expires_at_ms = $1::bigint + ${lease}::bigint, started_at_ms = $1, heartbeat_at_ms = $1,
  progress = 0, progress_message = NULL, updated_seq = ${TX_SEQ}`;
const CLAIMED = `jobs.rid, jobs.id, jobs.type, jobs.name,
  (SELECT p.params FROM job_params p WHERE p.rid = jobs.rid), jobs.batch_id, jobs.attempt,
  jobs.max_attempts, jobs.checkpoint`;

/**
 * Picks due jobs in claim order (priority, then age) and marks them running, in one
 * statement. SKIP LOCKED passes over rows another worker's claim holds, so workers on
 * many machines claim side by side without waiting on each other or taking a job twice.
 * The picked rows are reached by key, as in turn-statement.ts (a join there hashed the table).
 */
const CLAIM = `WITH picked AS (
  SELECT j.rid FROM jobs j WHERE ${DUE}
  ORDER BY j.priority DESC, j.run_at_ms, j.rid LIMIT $3 FOR UPDATE OF j SKIP LOCKED)
UPDATE jobs ${claimSet('$4', '$5')} WHERE jobs.rid = ANY(ARRAY(SELECT rid FROM picked))
RETURNING ${CLAIMED}`;

/** With caps: pick (and lock) candidates first, then claim the ones with room. */
const PICK = `SELECT j.rid, j.type, j.batch_id, j.batch_concurrency FROM jobs j WHERE ${DUE}
  ORDER BY j.priority DESC, j.run_at_ms, j.rid LIMIT $3 FOR UPDATE OF j SKIP LOCKED`;
const PICK_WITH_CAPPED = `SELECT j.rid, j.type, j.batch_id, j.batch_concurrency FROM jobs j
  WHERE ${DUE_WITH_CAPPED}
  ORDER BY j.priority DESC, j.run_at_ms, j.rid LIMIT $3 FOR UPDATE OF j SKIP LOCKED`;
const CLAIM_PICKED = `UPDATE jobs ${claimSet('$3', '$4')}
  WHERE jobs.rid = ANY($2::bigint[]) AND jobs.state = 'pending' RETURNING ${CLAIMED}`;

/** Running jobs of capped batches, per batch, with the batch's cap. */
const RUNNING_PER_CAPPED_BATCH = `SELECT batch_id, max(batch_concurrency) AS cap, count(*)::int AS n
  FROM jobs WHERE state = 'running' AND batch_concurrency IS NOT NULL
    AND ($1::text[] IS NULL OR batch_id = ANY($1::text[]))
  GROUP BY batch_id`;

/**
 * Per connection: whether its last turn saw jobs of capped batches due. While it does,
 * the worker's turns take the transaction path (so capped and uncapped jobs are claimed
 * in one priority order); while it does not, the one-statement turn runs as before, its
 * claim leaving capped jobs out, and tells whether any are due (turn-statement.ts).
 */
const cappedBatchesDue = new WeakMap<PgConnection, boolean>();

interface Candidate {
  rid: number;
  type: string;
  batch_id: string | null;
  batch_concurrency: number | null;
}

async function claim(c: PgConnection, tx: PgTx, req: ClaimRequest): Promise<ClaimedJob[]> {
  const limit = Math.floor(req.limit);
  const capped = req.types.filter((t) => t.cap !== null);
  const withBatches = (await tx.client.query<{ due: boolean }>(`SELECT ${CAPPED_DUE} AS due`))
    .rows[0]!.due;
  cappedBatchesDue.set(c, withBatches);
  let rows: ClaimRow[];
  if (capped.length === 0 && !withBatches) {
    rows = (
      await tx.client.query<ClaimRow>({
        text: CLAIM,
        values: [tx.nowMs, req.types.map((t) => t.type), limit, req.owner, req.leaseMs],
        rowMode: 'array',
      })
    ).rows;
  } else {
    // Counting running jobs of a capped type and claiming more of them must not
    // interleave with another worker doing the same: a lock per capped type, held to
    // the commit, makes those claims take turns (uncapped types never wait). Type locks
    // are always taken before batch locks, each kind in sorted order: no deadlock.
    const names = capped.map((t) => t.type).sort();
    const room = new Map(capped.map((t) => [t.type, t.cap!]));
    if (names.length > 0) {
      await tx.client.query(
        'SELECT pg_advisory_xact_lock(hashtext($1 || t)) FROM unnest($2::text[]) AS t ORDER BY t',
        [`kiln:${c.schema}:cap:`, names],
      );
      const running = await tx.client.query<{ type: string; n: number }>(
        `SELECT type, count(*) AS n FROM jobs WHERE state = 'running' AND type = ANY($1::text[]) GROUP BY type`,
        [names],
      );
      for (const r of running.rows) room.set(r.type, room.get(r.type)! - r.n);
    }
    const types = req.types
      .filter((t) => t.cap === null || room.get(t.type)! > 0)
      .map((t) => t.type);
    if (types.length === 0) return [];
    const candidates = withBatches
      ? await pickWithCappedBatches(tx, types, limit)
      : (await tx.client.query<Candidate>(PICK, [tx.nowMs, types, limit * 2])).rows;
    const batchRoom = withBatches ? await lockCappedBatches(c, tx, candidates) : new Map();
    const take: number[] = [];
    for (const cand of candidates) {
      if (take.length >= limit) break;
      const left = room.get(cand.type);
      const batchLeft = cand.batch_id === null ? undefined : batchRoom.get(cand.batch_id);
      if ((left !== undefined && left <= 0) || (batchLeft !== undefined && batchLeft <= 0)) {
        continue;
      }
      if (left !== undefined) room.set(cand.type, left - 1);
      if (batchLeft !== undefined) batchRoom.set(cand.batch_id!, batchLeft - 1);
      take.push(cand.rid);
    }
    if (take.length === 0) return [];
    rows = (
      await tx.client.query<ClaimRow>({
        text: CLAIM_PICKED,
        values: [tx.nowMs, take, req.owner, req.leaseMs],
        rowMode: 'array',
      })
    ).rows;
  }
  if (rows.length > 0) tx.changed();
  return rows.map(toClaimed);
}

/**
 * Candidates in claim order, jobs of capped batches included but for batches already at
 * their cap (a count without the locks: it only narrows the pick; the exact room is
 * counted under the locks, lockCappedBatches).
 */
async function pickWithCappedBatches(
  tx: PgTx,
  types: string[],
  limit: number,
): Promise<Candidate[]> {
  const running = await tx.client.query<{ batch_id: string; cap: number; n: number }>(
    RUNNING_PER_CAPPED_BATCH,
    [null],
  );
  const full = running.rows.filter((r) => r.n >= r.cap).map((r) => r.batch_id);
  return (await tx.client.query<Candidate>(PICK_WITH_CAPPED, [tx.nowMs, types, limit * 2, full]))
    .rows;
}

/**
 * Locks the capped batches among the candidates (sorted, held to the commit) and counts
 * their room: two workers never count one batch's running jobs and claim more of them at
 * once, so the cap holds over every process and machine. Only claims of the same capped
 * batch take turns; other batches and loose jobs never wait on these locks.
 */
async function lockCappedBatches(
  c: PgConnection,
  tx: PgTx,
  candidates: Candidate[],
): Promise<Map<string, number>> {
  const caps = new Map<string, number>();
  for (const cand of candidates) {
    if (cand.batch_id !== null && cand.batch_concurrency !== null) {
      caps.set(cand.batch_id, cand.batch_concurrency);
    }
  }
  if (caps.size === 0) return caps;
  const ids = [...caps.keys()].sort();
  await tx.client.query(
    'SELECT pg_advisory_xact_lock(hashtext($1 || b)) FROM unnest($2::text[]) AS b ORDER BY b',
    [`kiln:${c.schema}:batch-cap:`, ids],
  );
  // A statement after the lock sees every claim committed before it (READ COMMITTED).
  const running = await tx.client.query<{ batch_id: string; cap: number; n: number }>(
    RUNNING_PER_CAPPED_BATCH,
    [ids],
  );
  for (const r of running.rows) caps.set(r.batch_id, caps.get(r.batch_id)! - r.n);
  return caps;
}

export async function turn(c: PgConnection, input: TurnInput): Promise<TurnResult> {
  if (fitsOneStatement(input) && cappedBatchesDue.get(c) !== true) {
    const { result, cappedBatchesAreDue } = await turnInOneStatement(c, input);
    cappedBatchesDue.set(c, cappedBatchesAreDue);
    const left = input.claim === null ? 0 : Math.floor(input.claim.limit) - result.claimed.length;
    // Jobs of capped batches appeared: claim them now, with the slots the turn left
    // (else an idle worker would sleep past them).
    if (!cappedBatchesAreDue || left <= 0) return result;
    const more = await c.write((tx) => claim(c, tx, { ...input.claim!, limit: left }));
    return { ...result, claimed: [...result.claimed, ...more] };
  }
  return c.write(async (tx) => {
    // Flushes first: the last progress of an attempt that ends in this turn lands before its settle.
    const lostFences = await applyFlushes(tx, input.flushes);
    const settled = await applySettles(tx, input.settles);
    const reaped: boolean[] = [];
    for (const s of input.reaps) reaped.push(await settleOne(tx, s, 'expired'));
    if (input.flushes.length > lostFences.length || settled.some(Boolean) || reaped.some(Boolean)) {
      tx.changed();
    }
    const claimed = input.claim && input.claim.limit > 0 ? await claim(c, tx, input.claim) : [];
    return { settled, reaped, lostFences, claimed };
  });
}

function toFences(rows: { rid: number; id: string; attempt: number }[], owner: string): Fence[] {
  return rows.map((r) => ({ id: r.id, attempt: r.attempt, owner, row: r.rid }));
}

export async function renewLeases(
  c: PgConnection,
  owner: string,
  leaseMs: number,
): Promise<Fence[]> {
  return c.write(async (tx) =>
    toFences(
      (
        await tx.client.query<{ rid: number; id: string; attempt: number }>(
          `UPDATE jobs SET lease_expires_at_ms = $1::bigint + $2::bigint
           WHERE state = 'running' AND lease_owner = $3 AND lease_expires_at_ms >= $1
           RETURNING rid, id, attempt`,
          [tx.nowMs, leaseMs, owner],
        )
      ).rows,
      owner,
    ),
  );
}

export async function heldLeases(c: PgConnection, owner: string): Promise<Fence[]> {
  return toFences(
    await c.query<{ rid: number; id: string; attempt: number }>(
      `SELECT rid, id, attempt FROM jobs
       WHERE state = 'running' AND lease_owner = $1 AND lease_expires_at_ms >= ${DB_NOW_MS}`,
      [owner],
    ),
    owner,
  );
}

export async function leaseOwners(c: PgConnection): Promise<string[]> {
  return (
    await c.query<{ owner: string }>(
      `SELECT DISTINCT lease_owner AS owner FROM jobs WHERE state = 'running'`,
    )
  ).map((r) => r.owner);
}

export async function expireLeases(c: PgConnection, owner: string): Promise<number> {
  return c.write(
    async (tx) =>
      (
        await tx.client.query(
          `UPDATE jobs SET lease_expires_at_ms = $1::bigint - 1
           WHERE state = 'running' AND lease_owner = $2 AND lease_expires_at_ms >= $1`,
          [tx.nowMs, owner],
        )
      ).rowCount ?? 0,
  );
}

export async function expiredLeases(c: PgConnection, limit: number): Promise<ExpiredAttempt[]> {
  return (
    await c.query<{
      rid: number;
      id: string;
      attempt: number;
      lease_owner: string;
      type: string;
      max_attempts: number;
    }>(
      `SELECT rid, id, attempt, lease_owner, type, max_attempts FROM jobs
       WHERE state = 'running' AND lease_expires_at_ms < ${DB_NOW_MS} LIMIT $1`,
      [limit],
    )
  ).map((r) => ({
    id: r.id,
    row: r.rid,
    attempt: r.attempt,
    owner: r.lease_owner,
    type: r.type,
    maxAttempts: r.max_attempts,
  }));
}

export async function nextRunAtMs(c: PgConnection, afterMs: number): Promise<number | null> {
  const [row] = await c.query<{ at: number | null }>(
    `SELECT min(run_at_ms) AS at FROM jobs WHERE state = 'pending' AND run_at_ms > $1`,
    [Math.floor(afterMs)],
  );
  return row?.at ?? null;
}

/**
 * Locks the job's row if the fence still holds: a reclaim of the job waits for this
 * transaction, so nothing a stale attempt writes can land after a newer attempt began.
 */
export async function lockFence(tx: PgTx, fence: Fence): Promise<boolean> {
  const r = await tx.client.query(
    `SELECT 1 FROM jobs WHERE rid = $2 AND attempt = $3 AND lease_owner = $4 AND ${LIVE} FOR UPDATE`,
    [tx.nowMs, fence.row, fence.attempt, fence.owner],
  );
  return r.rowCount === 1;
}
