import type { SQLInputValue } from 'node:sqlite';
import { sqlStateList } from '../../core/lifecycle.ts';
import type { Job, Page } from '../../core/model.ts';
import {
  decodeCursor,
  encodeCursor,
  JOB_COLUMNS,
  JOB_TABLES,
  type JobRow,
  toJob,
} from '../rows.ts';
import type { InsertedJob, JobFilter, JobTarget, NewBatch, NewJob, PageRequest } from '../store.ts';
import type { SqliteConnection, Tx } from './connection.ts';

// Rowids are given, not left to SQLite: the params rows take the same ones.
const INSERT_COLUMNS = `INSERT INTO jobs (rid, id, type, name, state, batch_id, idempotency_key,
  priority, run_at_ms, max_attempts, attempt_budget, retention_ms, created_at_ms, updated_seq,
  batch_concurrency) VALUES `;
const ROW = `(?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const ON_CONFLICT = ' ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING';
// Rows per INSERT statement: per-statement overhead dominated a row-at-a-time bulk insert;
// 100 rows a statement measured 1.4-2x the rows/s of one (docs/PERFORMANCE.md, W1).
const ROWS_PER_INSERT = 100;
const INSERT_MANY = INSERT_COLUMNS + Array(ROWS_PER_INSERT).fill(ROW).join(', ') + ON_CONFLICT;
const INSERT_ONE = INSERT_COLUMNS + ROW + ON_CONFLICT;
// 40 rows of 2 parameters: node:sqlite's binding cost per parameter grows with their number.
const PARAMS_PER_INSERT = 40;
const INSERT_PARAMS = 'INSERT INTO job_params (rid, params) VALUES ';
const INSERT_PARAMS_MANY = INSERT_PARAMS + Array(PARAMS_PER_INSERT).fill('(?, ?)').join(', ');
const INSERT_PARAMS_ONE = `${INSERT_PARAMS}(?, ?)`;

export function insertJobs(c: SqliteConnection, jobs: NewJob[], batch?: NewBatch): InsertedJob[] {
  return c.write((tx) => insertJobsIn(c, tx, jobs, batch));
}

/** `insertJobs` inside a transaction of the caller's (a scheduled tick's: schedules.ts). */
export function insertJobsIn(
  c: SqliteConnection,
  tx: Tx,
  jobs: NewJob[],
  batch?: NewBatch,
): InsertedJob[] {
  const seq = tx.seq();
  if (batch) {
    c.run(
      'INSERT INTO batches (id, name, template, metadata, webhook_url, concurrency, created_at_ms, updated_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      batch.id,
      batch.name,
      batch.template,
      batch.metadata === null ? null : JSON.stringify(batch.metadata),
      batch.webhookUrl ?? null,
      batch.concurrency ?? null,
      tx.nowMs,
      seq,
    );
  }
  // This transaction is the only writer: the rows it inserts take the rowids after the
  // largest one, in order (a job whose idempotency key meets another leaves a gap).
  const before = lastRid(c);
  const rid = (i: number) => before + 1 + i;
  // The batch's cap rides on its jobs' rows, for the claim (migration 6).
  const cap = batch?.concurrency ?? null;
  const values = (j: NewJob, i: number) => [
    rid(i),
    j.id,
    j.type,
    j.name,
    j.batchId,
    j.idempotencyKey,
    j.priority,
    tx.nowMs + Math.max(0, j.delayMs),
    j.maxAttempts,
    j.maxAttempts,
    j.retentionMs,
    tx.nowMs,
    seq,
    cap !== null && j.batchId === batch!.id ? cap : null,
  ];
  let i = 0;
  const many = c.stmt(INSERT_MANY);
  for (; i + ROWS_PER_INSERT <= jobs.length; i += ROWS_PER_INSERT) {
    const args: SQLInputValue[] = [];
    for (let k = i; k < i + ROWS_PER_INSERT; k++) args.push(...values(jobs[k]!, k));
    many.run(...args);
  }
  const one = c.stmt(INSERT_ONE);
  for (; i < jobs.length; i++) one.run(...values(jobs[i]!, i));
  // A job with an idempotency key may have met an existing job (or one earlier in this
  // call) and not been inserted: the key names the job that counts.
  const inserted = jobs.map((j) => {
    if (j.idempotencyKey === null) return { id: j.id, created: true };
    const existing = c.get<{ id: string }>(
      'SELECT id FROM jobs WHERE idempotency_key = ?',
      j.idempotencyKey,
    )!;
    return { id: existing.id, created: existing.id === j.id };
  });
  insertParams(c, jobs, inserted, rid);
  tx.changed.addRun(before + 1, rid(jobs.length - 1));
  return inserted;
}

/** The params of the jobs that were inserted, under their rowids. */
function insertParams(
  c: SqliteConnection,
  jobs: NewJob[],
  inserted: InsertedJob[],
  rid: (i: number) => number,
): void {
  const rows: SQLInputValue[] = [];
  for (let i = 0; i < jobs.length; i++) {
    if (inserted[i]!.created) rows.push(rid(i), jobs[i]!.paramsJson);
  }
  let at = 0;
  const many = c.stmt(INSERT_PARAMS_MANY);
  for (; at + 2 * PARAMS_PER_INSERT <= rows.length; at += 2 * PARAMS_PER_INSERT) {
    many.run(...rows.slice(at, at + 2 * PARAMS_PER_INSERT));
  }
  const one = c.stmt(INSERT_PARAMS_ONE);
  for (; at < rows.length; at += 2) one.run(rows[at]!, rows[at + 1]!);
}

function lastRid(c: SqliteConnection): number {
  return c.get<{ rid: number | null }>('SELECT max(rid) AS rid FROM jobs')!.rid ?? 0;
}

export function getJob(c: SqliteConnection, id: string): Job | null {
  const [row] = c.tuples<JobRow>(`SELECT ${JOB_COLUMNS} FROM ${JOB_TABLES} WHERE j.id = ?`, id);
  return row ? toJob(row) : null;
}

export function getJobs(c: SqliteConnection, ids: string[]): Job[] {
  if (ids.length === 0) return [];
  return c
    .tuples<JobRow>(
      `SELECT ${JOB_COLUMNS} FROM ${JOB_TABLES} WHERE j.id IN (SELECT value FROM json_each(?))`,
      JSON.stringify(ids),
    )
    .map(toJob);
}

/** Newest first; the cursor is the last id seen (ids are time-ordered). */
export function listJobs(c: SqliteConnection, filter: JobFilter, page: PageRequest): Page<Job> {
  const where: string[] = [];
  const params: SQLInputValue[] = [];
  if (filter.state !== undefined) {
    const states = Array.isArray(filter.state) ? filter.state : [filter.state];
    where.push('j.state IN (SELECT value FROM json_each(?))');
    params.push(JSON.stringify(states));
  }
  if (filter.type !== undefined) {
    where.push('j.type = ?');
    params.push(filter.type);
  }
  if (filter.batchId !== undefined) {
    where.push('j.batch_id = ?');
    params.push(filter.batchId);
  }
  const after = decodeCursor(page.cursor);
  if (after !== null) {
    where.push('j.id < ?');
    params.push(after);
  }
  const sql = `SELECT ${JOB_COLUMNS} FROM ${JOB_TABLES} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY j.id DESC LIMIT ?`;
  const rows = c.tuples<JobRow>(sql, ...params, page.limit + 1);
  const more = rows.length > page.limit;
  const items = (more ? rows.slice(0, page.limit) : rows).map(toJob);
  return { items, nextCursor: more ? encodeCursor(items[items.length - 1]!.id) : null };
}

function targetClause(target: JobTarget): { sql: string; param: string } {
  return 'ids' in target
    ? { sql: 'id IN (SELECT value FROM json_each(?))', param: JSON.stringify(target.ids) }
    : { sql: 'batch_id = ?', param: target.batchId };
}

/** A whole batch's cancel or retry also sets its `cancelled` flag, in the same transaction. */
function flagBatch(c: SqliteConnection, tx: Tx, target: JobTarget, cancelled: boolean): void {
  if ('batchId' in target) {
    c.run(
      'UPDATE batches SET cancelled = ?, updated_seq = ? WHERE id = ?',
      cancelled ? 1 : 0,
      tx.seq(),
      target.batchId,
    );
  }
}

/** Pending and running jobs become cancelled; a running handler learns it from its lease check. */
export function cancelJobs(c: SqliteConnection, target: JobTarget): string[] {
  const t = targetClause(target);
  return c.write((tx) => {
    flagBatch(c, tx, target, true);
    // A running attempt ends here: recorded before the row forgets it was running.
    c.run(
      `INSERT OR REPLACE INTO job_attempts (job_id, attempt, state, started_at_ms, finished_at_ms, lease_owner, error)
       SELECT id, attempt, 'cancelled', started_at_ms, ?, lease_owner, NULL FROM jobs
       WHERE ${t.sql} AND state = 'running'`,
      tx.nowMs,
      t.param,
    );
    return c
      .all<{ rid: number; id: string }>(
        `UPDATE jobs SET state = 'cancelled', finished_at_ms = ?, expires_at_ms = ? + retention_ms,
           lease_expires_at_ms = NULL, updated_seq = ?
         WHERE ${t.sql} AND state IN (${sqlStateList('cancel')}) RETURNING rid, id`,
        tx.nowMs,
        tx.nowMs,
        tx.seq(),
        t.param,
      )
      .map((r) => {
        tx.changed.add(r.rid);
        return r.id;
      });
  });
}

export function retryJobs(
  c: SqliteConnection,
  target: JobTarget,
  includeCancelled: boolean,
): string[] {
  const t = targetClause(target);
  const states = includeCancelled ? sqlStateList('retry') : `'failed'`;
  return c.write((tx) => {
    flagBatch(c, tx, target, false);
    const ids = c
      .all<{ rid: number; id: string }>(
        // Attempt numbers keep counting, so a retried job's attempts get new fences, and the
        // budget resets. Progress stays until the next claim resets it under a new attempt
        // number: resetting it here would show it falling within the last attempt.
        `UPDATE jobs SET state = 'pending', max_attempts = attempt + attempt_budget, run_at_ms = ?,
           error = NULL, result = NULL, checkpoint = NULL, lease_owner = NULL, lease_expires_at_ms = NULL,
           started_at_ms = NULL, finished_at_ms = NULL, expires_at_ms = NULL, updated_seq = ?
         WHERE ${t.sql} AND state IN (${states}) RETURNING rid, id`,
        tx.nowMs,
        tx.seq(),
        t.param,
      )
      .map((r) => {
        tx.changed.add(r.rid);
        return r.id;
      });
    // A batch that ended and was notified is open again: its next end notifies again.
    if (ids.length > 0) {
      c.run(
        `UPDATE batches SET webhook_notified_at_ms = NULL WHERE webhook_notified_at_ms IS NOT NULL
           AND id IN (SELECT batch_id FROM jobs WHERE id IN (SELECT value FROM json_each(?)))`,
        JSON.stringify(ids),
      );
    }
    return ids;
  });
}

export function deleteJobRows(c: SqliteConnection, tx: Tx, ids: string[]): void {
  const list = JSON.stringify(ids);
  void tx;
  c.run('DELETE FROM job_logs WHERE job_id IN (SELECT value FROM json_each(?))', list);
  c.run('DELETE FROM job_attempts WHERE job_id IN (SELECT value FROM json_each(?))', list);
  c.run('DELETE FROM artifacts WHERE job_id IN (SELECT value FROM json_each(?))', list);
  c.run(
    'DELETE FROM job_params WHERE rid IN (SELECT rid FROM jobs WHERE id IN (SELECT value FROM json_each(?)))',
    list,
  );
  c.run('DELETE FROM jobs WHERE id IN (SELECT value FROM json_each(?))', list);
}
