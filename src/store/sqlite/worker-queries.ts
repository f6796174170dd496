import type { SQLInputValue } from 'node:sqlite';
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
import type { SqliteConnection, Tx } from './connection.ts';

/**
 * The worker's statements. Every write names its attempt by (id, attempt, owner) and
 * requires the job still running under an unexpired lease: a worker that lost its
 * lease (cancelled, reclaimed after a stall) changes nothing. Stall reaps are the one
 * exception: they require the lease to have expired instead.
 */
const LIVE = `rid = ? AND attempt = ? AND lease_owner = ? AND state = 'running' AND lease_expires_at_ms >= ?`;
const EXPIRED = `rid = ? AND attempt = ? AND lease_owner = ? AND state = 'running' AND lease_expires_at_ms < ?`;

/**
 * The settles written one row at a time: retries, failures, releases and stall reaps
 * (rare next to completions, which go in batches: COMPLETION below).
 */
type SingleSettle = Exclude<Settle, { kind: 'complete' }>;

/** One UPDATE per settle kind; the leading parameters differ, the fence comes last. */
function settleSql(kind: SingleSettle['kind'], fence: string): string {
  switch (kind) {
    case 'reschedule': // params: error, runAt, seq
      return `UPDATE jobs SET state = 'pending', error = ?, run_at_ms = ?,
        lease_expires_at_ms = NULL, updated_seq = ? WHERE ${fence}`;
    case 'fail': // params: error, now, now, seq
      return `UPDATE jobs SET state = 'failed', error = ?, finished_at_ms = ?,
        expires_at_ms = ? + retention_ms, lease_expires_at_ms = NULL, updated_seq = ? WHERE ${fence}`;
    case 'release': // params: seq. An interrupted attempt did not fail: give the budget back, and
      // keep run_at so the job keeps its place in the queue.
      return `UPDATE jobs SET state = 'pending', max_attempts = max_attempts + 1,
        lease_expires_at_ms = NULL, updated_seq = ? WHERE ${fence}`;
  }
}

const SETTLE_SQL = {
  live: {
    reschedule: settleSql('reschedule', LIVE),
    fail: settleSql('fail', LIVE),
    release: settleSql('release', LIVE),
  },
  expired: {
    reschedule: settleSql('reschedule', EXPIRED),
    fail: settleSql('fail', EXPIRED),
    release: settleSql('release', EXPIRED),
  },
};

function applySettle(
  c: SqliteConnection,
  tx: Tx,
  s: SingleSettle,
  which: 'live' | 'expired',
): boolean {
  const now = tx.nowMs;
  const seq = tx.seq();
  const f = s.fence;
  // The statement's leading parameters, as listed beside settleSql; the fence follows.
  const lead =
    s.kind === 'reschedule'
      ? [JSON.stringify(s.error), now + Math.max(0, Math.round(s.delayMs)), seq]
      : s.kind === 'fail'
        ? [JSON.stringify(s.error), now, now, seq]
        : [seq];
  const stmt = c.stmt(SETTLE_SQL[which][s.kind]);
  const held = Number(stmt.run(...lead, f.row, f.attempt, f.owner, now).changes) === 1;
  if (held) {
    tx.changed.add(f.row);
    // The ended attempt, from the row as the settle left it (attempt, start, owner kept).
    c.stmt(RECORD_ATTEMPT).run(
      attemptEnd(s.kind, which === 'expired'),
      now,
      s.kind === 'release' ? null : JSON.stringify(s.error),
      f.row,
    );
  }
  return held;
}

/** Slow paths only (never a completion): see attempt-rows.ts. */
const RECORD_ATTEMPT = `INSERT OR REPLACE INTO job_attempts
  (job_id, attempt, state, started_at_ms, finished_at_ms, lease_owner, error)
  SELECT id, attempt, ?, started_at_ms, ?, lease_owner, ? FROM jobs WHERE rid = ?`;

/*
 * Batched fenced writes. A turn's completions, and its progress flushes, go `size` rows
 * per statement as `UPDATE jobs … FROM (VALUES …)`: the clock, the seq and the owner are
 * bound once, each row adds only its own values. For completions this measured about
 * 18 % faster than one statement per job in the store's loop (node:sqlite's per-parameter
 * binding and per-statement costs add up) and about 5 % in the worker's drain. There is
 * no RETURNING (it cost that gain back): when a statement's change count falls short of
 * its rows, the rows it did write are found one by one (`stampedBy`).
 */

/**
 * Statement sizes, largest first: n rows take at most one statement of each size, and
 * the largest size repeatedly (down to a statement of one row). A statement binds at most 80 parameters: beyond that,
 * a statement's cost per row rises again (binding through node:sqlite costs more per
 * parameter the more a statement has: 130 ns each at 10, 270 ns at 200, 1 µs at 800;
 * and SQLite's cost per VALUES row grows with their number). Measured per row: 16-row
 * completions 0.5 µs against 0.85 µs at 64 rows; 8-row flushes 1.5 µs against 4.5 µs
 * one at a time and 2 µs at 16 rows.
 */
const MAX_BATCH_PARAMS = 80;
function batchSizes(width: number): number[] {
  const largest = Math.floor((MAX_BATCH_PARAMS - 3) / width);
  return [64, 32, 16, 8, 4, 2, 1].filter((n) => n <= largest);
}

/** `(?4, ?5, …)` groups of `width` placeholders after the three shared ones. */
function valuesRows(size: number, width: number): string {
  return Array.from(
    { length: size },
    (_, i) => `(${Array.from({ length: width }, (_, k) => `?${4 + i * width + k}`).join(', ')})`,
  ).join(', ');
}

/** The shared tail: v.column1 is the rowid, v.column2 the attempt; ?1 now, ?3 the owner. */
const BATCH_FENCE = `jobs.rid = v.column1 AND jobs.attempt = v.column2 AND jobs.lease_owner = ?3
    AND jobs.state = 'running' AND jobs.lease_expires_at_ms >= ?1`;

interface BatchShape<T> {
  /** Statement sizes for this shape's row width (see batchSizes). */
  sizes: number[];
  /** The statement for `size` rows (?1 now, ?2 seq, ?3 owner, then the rows). */
  sql: (size: number) => string;
  /** Appends one row's values to `params`, rowid and attempt first. */
  row: (item: T, params: SQLInputValue[]) => void;
  /** The state a row this write stamped is in. */
  stampedState: 'running' | 'completed';
  /** The SQL of each size, built on first use. */
  texts: Map<number, string>;
}

/** True if the row is in `state`, stamped with this transaction's seq under this fence. */
function stampedBy(c: SqliteConnection, tx: Tx, fence: Fence, state: string): boolean {
  return (
    c.get(
      `SELECT 1 AS ok FROM jobs WHERE rid = ? AND attempt = ? AND lease_owner = ? AND state = ?
         AND updated_seq = ?`,
      fence.row,
      fence.attempt,
      fence.owner,
      state,
      tx.seq(),
    ) !== undefined
  );
}

/** Writes one owner's items in batches; returns whether each one's fence held. */
function writeBatched<T extends { fence: Fence }>(
  c: SqliteConnection,
  tx: Tx,
  owner: string,
  items: T[],
  shape: BatchShape<T>,
): boolean[] {
  const held: boolean[] = [];
  let at = 0;
  while (at < items.length) {
    const size = shape.sizes.find((n) => n <= items.length - at)!;
    let sql = shape.texts.get(size);
    if (sql === undefined) {
      sql = shape.sql(size);
      shape.texts.set(size, sql);
    }
    // Indexed loops and no spreads: this runs every turn, mostly before V8 optimizes it.
    const params: SQLInputValue[] = [tx.nowMs, tx.seq(), owner];
    for (let i = at; i < at + size; i++) shape.row(items[i]!, params);
    const all = c.runArray(sql, params) === size;
    for (let i = at; i < at + size; i++) {
      const fence = items[i]!.fence;
      const ok = all || stampedBy(c, tx, fence, shape.stampedState);
      if (ok) tx.changed.add(fence.row);
      held.push(ok);
    }
    at += size;
  }
  return held;
}

/** Runs `write` per owner group (a turn's own writes share one owner) and keeps the order. */
function byOwner<T extends { fence: Fence }>(
  items: T[],
  write: (owner: string, group: T[]) => boolean[],
): boolean[] {
  const groups = new Map<string, number[]>();
  items.forEach((item, i) => {
    const g = groups.get(item.fence.owner);
    if (g) g.push(i);
    else groups.set(item.fence.owner, [i]);
  });
  const held = new Array<boolean>(items.length);
  for (const [owner, indexes] of groups) {
    const results = write(
      owner,
      indexes.map((i) => items[i]!),
    );
    indexes.forEach((i, k) => {
      held[i] = results[k]!;
    });
  }
  return held;
}

type Completion = Extract<Settle, { kind: 'complete' }>;

const COMPLETION: BatchShape<Completion> = {
  sizes: batchSizes(3),
  sql: (size) => `UPDATE jobs SET state = 'completed', result = v.column3, progress = 1,
      finished_at_ms = ?1, expires_at_ms = ?1 + retention_ms, lease_expires_at_ms = NULL,
      updated_seq = ?2
    FROM (VALUES ${valuesRows(size, 3)}) AS v WHERE ${BATCH_FENCE}`,
  row: (s, params) => {
    params.push(s.fence.row, s.fence.attempt, s.resultJson);
  },
  stampedState: 'completed',
  texts: new Map(),
};

/** The turn's own settles: completions in batches, the other kinds one by one. */
function applySettles(c: SqliteConnection, tx: Tx, settles: Settle[]): boolean[] {
  const completions = settles.filter((s): s is Completion => s.kind === 'complete');
  const completed = byOwner(completions, (owner, group) =>
    writeBatched(c, tx, owner, group, COMPLETION),
  );
  let k = 0;
  return settles.map((s) =>
    s.kind === 'complete' ? completed[k++]! : applySettle(c, tx, s, 'live'),
  );
}

/**
 * A flush: progress only rises within an attempt (a lower value changes neither the
 * fraction nor the message), the heartbeat time is the store clock, a checkpoint is
 * replaced only when the flush carries one, usage adds up. A flush whose mark is not
 * above the job's (applied already, ProgressFlush.mark) only says the handler is alive.
 * v.column3 is the fraction (or NULL), column4 whether a message came, column5 the
 * message, column6 whether a checkpoint came, column7 the checkpoint, column8 tokens,
 * column9 cost, column10 the mark. SET expressions all read the row before the update.
 */
function flushSql(size: number): string {
  const fresh = 'v.column10 > flush_mark';
  return `UPDATE jobs SET
  progress = CASE WHEN ${fresh} AND v.column3 IS NOT NULL AND v.column3 >= progress
    THEN v.column3 ELSE progress END,
  progress_message = CASE WHEN ${fresh} AND v.column4 = 1 AND (v.column3 IS NULL OR v.column3 >= progress)
    THEN v.column5 ELSE progress_message END,
  heartbeat_at_ms = ?1,
  checkpoint = CASE WHEN ${fresh} AND v.column6 = 1 THEN v.column7 ELSE checkpoint END,
  usage_tokens = usage_tokens + CASE WHEN ${fresh} THEN v.column8 ELSE 0 END,
  usage_cost_usd = usage_cost_usd + CASE WHEN ${fresh} THEN v.column9 ELSE 0 END,
  flush_mark = max(flush_mark, v.column10),
  updated_seq = ?2
FROM (VALUES ${valuesRows(size, 10)}) AS v WHERE ${BATCH_FENCE}`;
}

function flushRow(f: ProgressFlush, params: SQLInputValue[]): void {
  params.push(
    f.fence.row,
    f.fence.attempt,
    f.progress ?? null,
    f.message === undefined ? 0 : 1,
    f.message ?? null,
    f.checkpointJson === undefined ? 0 : 1,
    f.checkpointJson ?? null,
    f.usage?.tokens ?? 0,
    f.usage?.costUsd ?? 0,
    f.mark,
  );
}

const FLUSH: BatchShape<ProgressFlush> = {
  sizes: batchSizes(10),
  sql: flushSql,
  row: flushRow,
  stampedState: 'running',
  texts: new Map(),
};

/** The turn's flushes, batched; each held flush's log lines follow. Returns the lost fences. */
function applyFlushes(c: SqliteConnection, tx: Tx, flushes: ProgressFlush[]): Fence[] {
  // Whether a flush with log lines is fresh, from the job's mark before the update.
  const fresh = flushes.map((f) => {
    if (!f.logs) return false;
    const row = c.stmt('SELECT flush_mark AS m FROM jobs WHERE rid = ?').get(f.fence.row) as
      | { m: number }
      | undefined;
    return row !== undefined && f.mark > row.m;
  });
  const held = byOwner(flushes, (owner, group) => writeBatched(c, tx, owner, group, FLUSH));
  const lost: Fence[] = [];
  flushes.forEach((f, i) => {
    if (!held[i]) lost.push(f.fence);
    else if (fresh[i]) insertLogs(c, f);
  });
  return lost;
}

const INSERT_LOG =
  'INSERT INTO job_logs (job_id, attempt, at_ms, level, message, fields) VALUES (?, ?, ?, ?, ?, ?)';

function insertLogs(c: SqliteConnection, f: ProgressFlush): void {
  const insert = c.stmt(INSERT_LOG);
  for (const l of f.logs ?? []) {
    insert.run(f.fence.id, f.fence.attempt, l.atMs, l.level, l.message, l.fieldsJson);
  }
}

// Walks jobs_pending in claim order (priority, then age) and stops at LIMIT. The paused
// check is a primary-key probe per candidate, only for jobs in a batch. Parameters: ?1 is
// the store clock, and the types are ?5 onwards (?3 and ?4 are the claim's lease; ?2 is
// the capped pick's list of batches at their cap).
//
// Jobs of a batch with a concurrency cap carry it on their own row (batch_concurrency,
// migration 6), so telling them apart costs the claim nothing: the row is read anyway
// for its type and batch. The fast pick leaves them out; the capped pick (used only by a
// turn whose probe, CAPPED_DUE, finds some due) takes them too, except those of batches
// already at their cap, and the claim then counts each batch's room. So while no batch
// has a cap, the claim is today's plus one probe of an empty partial index.
function due(typeCount: number, withCapped: boolean): string {
  const types = Array.from({ length: typeCount }, (_, i) => `?${i + 5}`).join(', ');
  const capped = withCapped
    ? `(j.batch_concurrency IS NULL OR j.batch_id NOT IN (SELECT value FROM json_each(?2)))`
    : 'j.batch_concurrency IS NULL';
  return `j.state = 'pending' AND j.run_at_ms <= ?1 AND j.type IN (${types}) AND ${capped}
  AND (j.batch_id IS NULL OR NOT EXISTS (SELECT 1 FROM batches b WHERE b.id = j.batch_id AND b.paused = 1))`;
}

/** Whether any job of a capped batch is due (index jobs_pending_capped: empty while no batch has a cap). */
const CAPPED_DUE = `SELECT 1 AS ok FROM jobs WHERE state = 'pending' AND batch_concurrency IS NOT NULL
  AND run_at_ms <= ? LIMIT 1`;

const CLAIM_SET = `SET state = 'running', attempt = attempt + 1, lease_owner = ?2, lease_expires_at_ms = ?3,
  started_at_ms = ?1, heartbeat_at_ms = ?1, progress = 0, progress_message = NULL, updated_seq = ?4`;
/*
 * The types are bound one placeholder each and LIMIT is written into the text, so a
 * worker reuses one prepared statement per (type count, limit). With the types as one
 * JSON array and a bound LIMIT, SQLite re-planned the statement on every execution
 * (parameter-dependent plan), which cost about as much as the claim's own row writes.
 * The attempt a claim starts is the row's attempt + 1, as CLAIM_SET writes it. The
 * capped pick adds the row's batch_concurrency as a tenth column.
 */
function pickDue(typeCount: number, limit: number, withCapped: boolean): string {
  // CROSS JOIN: walk the pending jobs in claim order, then fetch each one's params.
  return `SELECT j.rid, j.id, j.type, j.name, p.params, j.batch_id, j.attempt + 1, j.max_attempts, j.checkpoint${withCapped ? ', j.batch_concurrency' : ''}
FROM jobs j CROSS JOIN job_params p ON p.rid = j.rid
WHERE ${due(typeCount, withCapped)} ORDER BY j.priority DESC, j.run_at_ms, j.rid LIMIT ${limit}`;
}
/** Marks the picked rows running in one statement (one per row measured ~2x slower). */
function claimRows(count: number): string {
  const rows = Array.from({ length: count }, (_, i) => `?${i + 5}`).join(', ');
  return `UPDATE jobs ${CLAIM_SET} WHERE rid IN (${rows}) AND state = 'pending'`;
}

/** A picked row; the capped pick adds the batch's cap. */
type PickedRow = [...ClaimRow, batchConcurrency?: number | null];

/**
 * Claims due jobs: picks them in claim order, then marks them running by rowid (this
 * transaction holds the write lock, so nothing claims them in between). Picking as a
 * SELECT and updating without RETURNING measured about 6 % faster in the drain than one
 * `UPDATE … RETURNING`. With per-type caps, or jobs of capped batches due, the room left
 * per capped type and per capped batch is counted over every worker (SQLite has one
 * writer: the count cannot go stale before the commit), and candidates over a cap are
 * skipped in JS; a second pass fills the slots they left.
 */
function claim(c: SqliteConnection, tx: Tx, req: ClaimRequest): ClaimedJob[] {
  const limit = Math.floor(req.limit);
  const room = roomPerCappedType(c, req.types);
  const batchRoom = c.get(CAPPED_DUE, tx.nowMs) === undefined ? null : roomPerCappedBatch(c);
  const claimed: ClaimedJob[] = [];
  for (let pass = 0; pass < 2 && claimed.length < limit; pass++) {
    const types = req.types
      .filter((t) => t.cap === null || room.get(t.type)! > 0)
      .map((t) => t.type);
    if (types.length === 0) break;
    const want = limit - claimed.length;
    // ?3 and ?4 (the lease) are unused by the pick; they keep the types at ?5.
    const pickParams: SQLInputValue[] = [
      tx.nowMs,
      batchRoom === null ? null : JSON.stringify(fullBatches(batchRoom)),
      null,
      null,
    ];
    for (let i = 0; i < types.length; i++) pickParams.push(types[i]!);
    const picked = c.tuplesArray<PickedRow>(
      pickDue(types.length, want, batchRoom !== null),
      pickParams,
    );
    const take: ClaimRow[] = [];
    let skipped = false;
    for (let i = 0; i < picked.length; i++) {
      const row = picked[i]!;
      const left = room.get(row[2]);
      const batchCap = row[9] ?? null;
      const batchLeft =
        batchCap === null || batchRoom === null ? undefined : (batchRoom.get(row[5]!) ?? batchCap);
      if ((left !== undefined && left <= 0) || (batchLeft !== undefined && batchLeft <= 0)) {
        skipped = true;
        continue;
      }
      if (left !== undefined) room.set(row[2], left - 1);
      if (batchLeft !== undefined) batchRoom!.set(row[5]!, batchLeft - 1);
      take.push(row as unknown as ClaimRow);
    }
    if (take.length > 0) {
      // A seq only when a job is claimed: an idle claim must not wake every watcher.
      const params: SQLInputValue[] = [tx.nowMs, req.owner, tx.nowMs + req.leaseMs, tx.seq()];
      for (let i = 0; i < take.length; i++) params.push(take[i]![0]);
      const updated = c.runArray(claimRows(take.length), params);
      if (updated !== take.length) {
        throw new Error(`claim updated ${updated} of ${take.length} picked jobs`);
      }
      for (let i = 0; i < take.length; i++) {
        tx.changed.add(take[i]![0]);
        claimed.push(toClaimed(take[i]!));
      }
    }
    if (!skipped || picked.length < want) break;
  }
  return claimed;
}

/** Slots left per capped type, counted over every worker (running rows are few). */
function roomPerCappedType(c: SqliteConnection, types: ClaimRequest['types']): Map<string, number> {
  const capped = types.filter((t) => t.cap !== null);
  if (capped.length === 0) return new Map();
  const running = new Map(
    c
      .all<{ type: string; n: number }>(
        `SELECT type, count(*) AS n FROM jobs WHERE state = 'running' AND type IN (SELECT value FROM json_each(?)) GROUP BY type`,
        JSON.stringify(capped.map((t) => t.type)),
      )
      .map((r) => [r.type, r.n]),
  );
  return new Map(capped.map((t) => [t.type, t.cap! - (running.get(t.type) ?? 0)]));
}

/**
 * Slots left per capped batch that has jobs running, over every worker (a capped batch
 * with none running has its whole cap: the claim reads it from the candidate's row).
 */
function roomPerCappedBatch(c: SqliteConnection): Map<string, number> {
  return new Map(
    c
      .all<{ batch_id: string; room: number }>(
        `SELECT batch_id, max(batch_concurrency) - count(*) AS room FROM jobs
         WHERE state = 'running' AND batch_concurrency IS NOT NULL GROUP BY batch_id`,
      )
      .map((r) => [r.batch_id, r.room]),
  );
}

/** The batches with no room left: the capped pick passes over their jobs. */
function fullBatches(room: Map<string, number>): string[] {
  const full: string[] = [];
  for (const [id, left] of room) if (left <= 0) full.push(id);
  return full;
}

export function turn(c: SqliteConnection, input: TurnInput): TurnResult {
  return c.write((tx) => {
    // Flushes first: the last progress of an attempt that ends in this turn lands before its settle.
    const lostFences = applyFlushes(c, tx, input.flushes);
    const settled = applySettles(c, tx, input.settles);
    const reaped = input.reaps.map((s) => applySettle(c, tx, s, 'expired'));
    const claimed = input.claim && input.claim.limit > 0 ? claim(c, tx, input.claim) : [];
    return { settled, reaped, lostFences, claimed };
  });
}

export function renewLeases(c: SqliteConnection, owner: string, leaseMs: number): Fence[] {
  return c.write((tx) =>
    c
      .all<{ rid: number; id: string; attempt: number }>(
        `UPDATE jobs SET lease_expires_at_ms = ? WHERE state = 'running' AND lease_owner = ? AND lease_expires_at_ms >= ?
         RETURNING rid, id, attempt`,
        tx.nowMs + leaseMs,
        owner,
        tx.nowMs,
      )
      .map((r) => ({ id: r.id, attempt: r.attempt, owner, row: r.rid })),
  );
}

export function heldLeases(c: SqliteConnection, owner: string): Fence[] {
  return c
    .all<{ rid: number; id: string; attempt: number }>(
      `SELECT rid, id, attempt FROM jobs WHERE state = 'running' AND lease_owner = ? AND lease_expires_at_ms >= ?`,
      owner,
      Date.now(),
    )
    .map((r) => ({ id: r.id, attempt: r.attempt, owner, row: r.rid }));
}

export function leaseOwners(c: SqliteConnection): string[] {
  return c
    .all<{ owner: string }>(
      `SELECT DISTINCT lease_owner AS owner FROM jobs WHERE state = 'running'`,
    )
    .map((r) => r.owner);
}

export function expireLeases(c: SqliteConnection, owner: string): number {
  return c.write((tx) =>
    c.run(
      `UPDATE jobs SET lease_expires_at_ms = ? WHERE state = 'running' AND lease_owner = ? AND lease_expires_at_ms >= ?`,
      tx.nowMs - 1,
      owner,
      tx.nowMs,
    ),
  );
}

export function expiredLeases(c: SqliteConnection, limit: number): ExpiredAttempt[] {
  return c
    .all<{
      rid: number;
      id: string;
      attempt: number;
      lease_owner: string;
      type: string;
      max_attempts: number;
    }>(
      `SELECT rid, id, attempt, lease_owner, type, max_attempts FROM jobs
       WHERE state = 'running' AND lease_expires_at_ms < ? LIMIT ?`,
      Date.now(),
      limit,
    )
    .map((r) => ({
      id: r.id,
      row: r.rid,
      attempt: r.attempt,
      owner: r.lease_owner,
      type: r.type,
      maxAttempts: r.max_attempts,
    }));
}

export function nextRunAtMs(c: SqliteConnection, afterMs: number): number | null {
  const row = c.get<{ at: number | null }>(
    `SELECT min(run_at_ms) AS at FROM jobs WHERE state = 'pending' AND run_at_ms > ?`,
    afterMs,
  );
  return row?.at ?? null;
}

/** True if the fence still holds; used inside the artifact transaction. */
export function fenceHolds(c: SqliteConnection, tx: Tx, fence: Fence): boolean {
  return (
    c.get(
      `SELECT 1 AS ok FROM jobs WHERE ${LIVE}`,
      fence.row,
      fence.attempt,
      fence.owner,
      tx.nowMs,
    ) !== undefined
  );
}
