/** SQL pieces shared by the PostgreSQL store's modules. */

/** Quotes an identifier for SQL. */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * The feed position of a write transaction: its transaction id. Every row a transaction
 * changes is stamped with it. Transaction ids are not in commit order, so a reader only
 * reads rows stamped below the oldest transaction still running (feed.ts); any commit
 * still to come has an id at or above that, so nothing is ever skipped.
 */
export const TX_SEQ = 'pg_current_xact_id()::text::bigint';

/**
 * The feed's horizon, in two statements (feed.ts). Below it, every transaction that
 * could stamp Kiln's rows has ended, so a reader can read below it without ever skipping
 * a commit still to come.
 *
 * The oldest running transaction of the whole server would do (`pg_snapshot_xmin`), but
 * then any long transaction of any application on the server would stall every watcher
 * until it ends. So the horizon counts only Kiln's writers: transactions holding a
 * ROW EXCLUSIVE lock on this schema's `jobs` or `batches`. Kiln's transactions lock those
 * tables (at the start of their first statement) before they get a transaction id (at
 * their first write), and hold the lock to the end.
 *
 * First, KILN_WRITERS lists those writers' ids, and the next id the server would hand
 * out when the list was taken. Then, in the reading statement's own snapshot, the
 * horizon is the lowest id still running that is either on the list or was handed out
 * after it (a writer that started between the two statements), else the snapshot's
 * `xmax`. A running transaction with a lower id that was not on the list held no lock on
 * Kiln's tables after it had its id, so it is not Kiln's. Ids in pg_locks are 32-bit
 * (`xid`); they are compared with the low 32 bits of the 64-bit ids.
 */
export const KILN_WRITERS = `SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS next,
  coalesce(array_agg(DISTINCT t.transactionid::text::bigint), '{}') AS xids
FROM pg_locks r JOIN pg_locks t ON t.virtualtransaction = r.virtualtransaction AND t.locktype = 'transactionid'
WHERE r.locktype = 'relation' AND r.mode = 'RowExclusiveLock'
  AND r.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND r.relation IN ('jobs'::regclass, 'batches'::regclass)`;

/** The horizon in the current statement's snapshot; `next` and `xids` from KILN_WRITERS. */
export function feedHorizon(next: string, xids: string): string {
  return `(SELECT coalesce(min(x::text::bigint), min(pg_snapshot_xmax(s.s)::text::bigint))
    FROM (SELECT pg_current_snapshot() AS s) AS s
    LEFT JOIN LATERAL pg_snapshot_xip(s.s) AS x
      ON x::text::bigint >= ${next}::bigint OR (x::text::bigint % 4294967296) = ANY(${xids}::bigint[]))`;
}

/** The database clock in ms since the epoch: leases are measured on it, never a machine's. */
export const DB_NOW_MS = '(extract(epoch from clock_timestamp()) * 1000)::bigint';

/** Whether any job of a capped batch is due (jobs_pending_capped: empty while no batch has a cap). */
export const CAPPED_DUE = `EXISTS (SELECT 1 FROM jobs WHERE state = 'pending' AND batch_concurrency IS NOT NULL
  AND run_at_ms <= (extract(epoch from statement_timestamp()) * 1000)::bigint)`;

/**
 * A text[] parameter as PostgreSQL's array literal, built here rather than by the driver,
 * which escapes every element with two regular expressions: for an enqueue of 20,000
 * jobs that was about 30 ms of the call's 450 (a CPU profile of W1). Every element is
 * quoted, so no text is read as NULL or split; backslashes and quotes are escaped.
 */
export function textArray(values: readonly (string | null)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (i > 0) out += ',';
    if (v === null) out += 'NULL';
    else if (v.includes('"') || v.includes('\\')) out += `"${v.replace(/["\\]/g, '\\$&')}"`;
    else out += `"${v}"`;
  }
  return `${out}}`;
}

/** A numeric array parameter (integers, or any finite numbers) as an array literal. */
export function numberArray(values: readonly number[]): string {
  return `{${values.join(',')}}`;
}
