import type pg from 'pg';
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
import type { PgConnection, PgTx, PgValue } from './connection.ts';
import { numberArray, TX_SEQ, textArray } from './sql.ts';

/** The statement clock on the database's clock: one value for the whole statement. */
const NOW = '(extract(epoch from statement_timestamp()) * 1000)::bigint';

/**
 * A whole enqueue as one statement, so one round trip and one commit (a statement
 * outside BEGIN is a transaction of its own): the batch, every job (each column bound
 * as one array that `unnest` turns back into rows, in the order of the call, so rids
 * rise in that order), and their params. A job whose idempotency key meets
 * an existing one is not inserted (ON CONFLICT DO NOTHING), and gets no params row.
 * `$17` says whether to insert the batch's row: only the first chunk of a chunked
 * enqueue does (insertJobChunks), the others only give their jobs the batch's cap.
 */
export const INSERT_JOBS = `WITH
b AS (INSERT INTO batches (id, name, template, metadata, webhook_url, concurrency, created_at_ms, updated_seq)
  SELECT $11, $12, $13, $14, $15, $16::int, ${NOW}, ${TX_SEQ} WHERE $11::text IS NOT NULL AND $17::bool),
i AS (INSERT INTO jobs (id, type, name, state, batch_id, idempotency_key, priority,
    run_at_ms, max_attempts, attempt_budget, retention_ms, created_at_ms, updated_seq, batch_concurrency)
  SELECT t.id, t.type, t.name, 'pending', t.batch_id, t.key, t.priority, ${NOW} + greatest(t.delay, 0),
    t.max_attempts, t.max_attempts, t.retention_ms, ${NOW}, ${TX_SEQ},
    CASE WHEN t.batch_id = $11::text THEN $16::int END
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[],
    $8::int[], $9::bigint[]) WITH ORDINALITY
    AS t(id, type, name, batch_id, key, priority, delay, max_attempts, retention_ms, n)
  ORDER BY t.n
  ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
  RETURNING rid, id),
p AS (INSERT INTO job_params (rid, params)
  SELECT i.rid, t.params FROM i JOIN unnest($1::text[], $10::text[]) AS t(id, params) ON t.id = i.id)
SELECT id FROM i`;

export async function insertJobs(
  c: PgConnection,
  jobs: NewJob[],
  batch?: NewBatch,
): Promise<InsertedJob[]> {
  const rows = await c.tuples<[string | null]>(
    INSERT_JOBS,
    insertJobsValues(jobs, batch),
    'kiln_insert_jobs',
  );
  c.announceCommit();
  c.plannerStats.noteInserted(rows.length);
  return keyedIds(c, jobs, rows);
}

/**
 * A large enqueue, in one transaction, one INSERT_JOBS a chunk: each chunk is sent
 * before the next is built, so PostgreSQL writes one while this process builds the next
 * (Store.insertJobChunks; W1 on PostgreSQL spent about a third of its time building,
 * with the server idle, then writing, with this process idle).
 */
export async function insertJobChunks(
  c: PgConnection,
  chunks: AsyncIterable<NewJob[]>,
  batch?: NewBatch,
): Promise<InsertedJob[]> {
  const all: NewJob[] = [];
  const rows: [string | null][] = [];
  await c.write(async (tx) => {
    let writing: Promise<pg.QueryResult<[string | null]>> | undefined;
    const written = async () => {
      if (writing) for (const r of (await writing).rows) rows.push(r);
      writing = undefined;
    };
    try {
      for await (const chunk of chunks) {
        // Built (by the loop's next()) while the chunk before was being written.
        await written();
        if (chunk.length === 0) continue;
        const batchRow = all.length === 0;
        for (const job of chunk) all.push(job);
        writing = tx.client.query<[string | null]>({
          name: 'kiln_insert_jobs',
          text: INSERT_JOBS,
          values: insertJobsValues(chunk, batch, batchRow) as unknown[],
          rowMode: 'array',
        });
      }
      await written();
    } catch (error) {
      // A chunk that failed to build: the one being written must end before the rollback.
      await writing?.catch(() => {});
      throw error;
    }
    if (all.length === 0 && batch) {
      await tx.client.query({
        name: 'kiln_insert_jobs',
        text: INSERT_JOBS,
        values: insertJobsValues([], batch) as unknown[],
      });
    }
    tx.changed();
  });
  c.plannerStats.noteInserted(rows.length);
  return keyedIds(c, all, rows);
}

/**
 * INSERT_JOBS's parameters: each job column as one array literal, then the batch's
 * columns, and whether to insert the batch's row.
 */
export function insertJobsValues(jobs: NewJob[], batch?: NewBatch, batchRow = true): PgValue[] {
  const text = (pick: (j: NewJob) => string | null) => textArray(jobs.map(pick));
  const numbers = (pick: (j: NewJob) => number) => numberArray(jobs.map(pick));
  return [
    text((j) => j.id),
    text((j) => j.type),
    text((j) => j.name),
    text((j) => j.batchId),
    text((j) => j.idempotencyKey),
    numbers((j) => j.priority),
    numbers((j) => Math.round(j.delayMs)),
    numbers((j) => j.maxAttempts),
    numbers((j) => j.retentionMs),
    text((j) => j.paramsJson),
    batch?.id ?? null,
    batch?.name ?? null,
    batch?.template ?? null,
    batch?.metadata ? JSON.stringify(batch.metadata) : null,
    batch?.webhookUrl ?? null,
    batch?.concurrency ?? null,
    batchRow,
  ];
}

/** Finishes `insertJobs`: which jobs were created, and the ids their keys name. */
async function keyedIds(
  c: PgConnection,
  jobs: NewJob[],
  rows: [string | null][],
): Promise<InsertedJob[]> {
  // Every job inserted (no key met another): the common case, without a set of 20,000 ids.
  if (rows.length === jobs.length) return jobs.map((j) => ({ id: j.id, created: true }));
  const created = new Set(rows.map((r) => r[0]).filter((id) => id !== null));
  // A job whose key met an existing job (or one earlier in this call): the key names the
  // job that counts. Read in a statement of its own, which sees a job another
  // transaction committed while this one waited on its key.
  const keys = jobs.filter((j) => j.idempotencyKey !== null && !created.has(j.id));
  const byKey = new Map<string, string>();
  if (keys.length > 0) {
    const existing = await c.query<{ id: string; idempotency_key: string }>(
      'SELECT id, idempotency_key FROM jobs WHERE idempotency_key = ANY($1::text[])',
      [keys.map((j) => j.idempotencyKey)],
    );
    for (const r of existing) byKey.set(r.idempotency_key, r.id);
  }
  return jobs.map((j) =>
    created.has(j.id)
      ? { id: j.id, created: true }
      : { id: byKey.get(j.idempotencyKey!)!, created: false },
  );
}

export async function getJob(c: PgConnection, id: string): Promise<Job | null> {
  const [row] = await c.tuples<JobRow>(`SELECT ${JOB_COLUMNS} FROM ${JOB_TABLES} WHERE j.id = $1`, [
    id,
  ]);
  return row ? toJob(row) : null;
}

export async function getJobs(c: PgConnection, ids: string[]): Promise<Job[]> {
  if (ids.length === 0) return [];
  const rows = await c.tuples<JobRow>(
    `SELECT ${JOB_COLUMNS} FROM ${JOB_TABLES} WHERE j.id = ANY($1::text[])`,
    [ids],
    'kiln_get_jobs',
  );
  return rows.map(toJob);
}

/** Newest first; the cursor is the last id seen (ids are time-ordered). */
export async function listJobs(
  c: PgConnection,
  filter: JobFilter,
  page: PageRequest,
): Promise<Page<Job>> {
  const where: string[] = [];
  const params: PgValue[] = [];
  const bind = (v: PgValue) => {
    params.push(v);
    return `$${params.length}`;
  };
  if (filter.state !== undefined) {
    const states = Array.isArray(filter.state) ? filter.state : [filter.state];
    where.push(`j.state = ANY(${bind(states)}::text[])`);
  }
  if (filter.type !== undefined) where.push(`j.type = ${bind(filter.type)}`);
  if (filter.batchId !== undefined) where.push(`j.batch_id = ${bind(filter.batchId)}`);
  const after = decodeCursor(page.cursor);
  if (after !== null) where.push(`j.id < ${bind(after)}`);
  const sql = `SELECT ${JOB_COLUMNS} FROM ${JOB_TABLES} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY j.id DESC LIMIT ${bind(page.limit + 1)}`;
  const rows = await c.tuples<JobRow>(sql, params);
  const more = rows.length > page.limit;
  const items = (more ? rows.slice(0, page.limit) : rows).map(toJob);
  return { items, nextCursor: more ? encodeCursor(items[items.length - 1]!.id) : null };
}

function targetClause(target: JobTarget, at: number): { sql: string; param: PgValue } {
  return 'ids' in target
    ? { sql: `id = ANY($${at}::text[])`, param: target.ids }
    : { sql: `batch_id = $${at}`, param: target.batchId };
}

/** A whole batch's cancel or retry also sets its `cancelled` flag, in the same transaction. */
async function flagBatch(tx: PgTx, target: JobTarget, cancelled: boolean): Promise<void> {
  if ('batchId' in target) {
    const r = await tx.client.query(
      `UPDATE batches SET cancelled = $1, updated_seq = ${TX_SEQ} WHERE id = $2`,
      [cancelled ? 1 : 0, target.batchId],
    );
    if (r.rowCount) tx.changed();
  }
}

/**
 * Changes the target's jobs in `state`s with `apply`, in passes that never wait for a
 * row while holding another. A worker's turn holds the rows it writes until it commits
 * and takes them in its own order (turn-statement.ts: flushes, then completions), so a
 * statement that locked the target's rows in any order of its own could each hold a row
 * the other waits for: PostgreSQL aborted one of the two after `deadlock_timeout` (1 s),
 * the API's cancel as a 500 or the worker's turn (test/postgres/cancel-deadlock.test.ts).
 * The first pass takes every row it can without waiting (SKIP LOCKED, in rid order) in
 * one transaction; each row a turn held then gets a transaction of its own, which waits
 * for the turn and holds nothing else. A row the turn moved on meanwhile (completed, say)
 * is left as the turn left it, as if the change had come after.
 */
async function changeInPasses(
  c: PgConnection,
  target: JobTarget,
  states: string,
  first: (tx: PgTx) => Promise<void>,
  apply: (tx: PgTx, rids: number[]) => Promise<string[]>,
): Promise<string[]> {
  const t = targetClause(target, 1);
  const lock = (tx: PgTx, where: string, param: PgValue, wait: boolean) =>
    tx.client
      .query<{ rid: number }>(
        `SELECT rid FROM jobs WHERE ${where} AND state IN (${states})
         ORDER BY rid FOR UPDATE${wait ? '' : ' SKIP LOCKED'}`,
        [param],
      )
      .then((r) => r.rows.map((row) => row.rid));
  const { ids, busy } = await c.write(async (tx) => {
    await first(tx);
    const ids = await apply(tx, await lock(tx, t.sql, t.param, false));
    // What is still in `states` now is what the pass skipped: rows other transactions held.
    const busy = await tx.client.query<{ rid: number }>(
      `SELECT rid FROM jobs WHERE ${t.sql} AND state IN (${states}) ORDER BY rid`,
      [t.param],
    );
    return { ids, busy: busy.rows.map((r) => r.rid) };
  });
  for (const rid of busy) {
    ids.push(...(await c.write(async (tx) => apply(tx, await lock(tx, 'rid = $1', rid, true)))));
  }
  return ids;
}

/** Pending and running jobs become cancelled; a running handler learns it from its lease check. */
export async function cancelJobs(c: PgConnection, target: JobTarget): Promise<string[]> {
  const states = sqlStateList('cancel');
  return changeInPasses(
    c,
    target,
    states,
    (tx) => flagBatch(tx, target, true),
    async (tx, rids) => {
      if (rids.length === 0) return [];
      // A running attempt ends here: recorded before the row forgets it was running. The
      // rows are locked, so this reads them as the update will find them.
      await tx.client.query(
        `INSERT INTO job_attempts (job_id, attempt, state, started_at_ms, finished_at_ms, lease_owner, error)
         SELECT id, attempt, 'cancelled', started_at_ms, $1, lease_owner, NULL FROM jobs
         WHERE rid = ANY($2::bigint[]) AND state = 'running' ON CONFLICT (job_id, attempt) DO NOTHING`,
        [tx.nowMs, rids],
      );
      const r = await tx.client.query<{ id: string }>(
        `UPDATE jobs SET state = 'cancelled', finished_at_ms = $1, expires_at_ms = $1 + retention_ms,
           lease_expires_at_ms = NULL, updated_seq = ${TX_SEQ}
         WHERE rid = ANY($2::bigint[]) AND state IN (${states}) RETURNING id`,
        [tx.nowMs, rids],
      );
      if (r.rows.length > 0) tx.changed();
      return r.rows.map((row) => row.id);
    },
  );
}

export async function retryJobs(
  c: PgConnection,
  target: JobTarget,
  includeCancelled: boolean,
): Promise<string[]> {
  const states = includeCancelled ? sqlStateList('retry') : `'failed'`;
  return changeInPasses(
    c,
    target,
    states,
    (tx) => flagBatch(tx, target, false),
    async (tx, rids) => {
      if (rids.length === 0) return [];
      // As in the SQLite store (sqlite/jobs.ts): attempt numbers keep counting, the budget
      // resets, and progress stays until the next claim resets it under a new attempt.
      const r = await tx.client.query<{ id: string }>(
        `UPDATE jobs SET state = 'pending', max_attempts = attempt + attempt_budget, run_at_ms = $1,
           error = NULL, result = NULL, checkpoint = NULL, lease_owner = NULL, lease_expires_at_ms = NULL,
           started_at_ms = NULL, finished_at_ms = NULL, expires_at_ms = NULL, updated_seq = ${TX_SEQ}
         WHERE rid = ANY($2::bigint[]) AND state IN (${states}) RETURNING id`,
        [tx.nowMs, rids],
      );
      if (r.rows.length === 0) return [];
      tx.changed();
      // A batch that ended and was notified is open again: its next end notifies again.
      // Every webhook batch's row is locked (even one not notified): a dispatcher recording
      // its end locks it first and then looks at its jobs (postgres/webhooks.ts), so it
      // either sees these jobs reopened or records the end before this clears the mark.
      await tx.client.query(
        `UPDATE batches SET webhook_notified_at_ms = NULL WHERE webhook_url IS NOT NULL
           AND id IN (SELECT batch_id FROM jobs WHERE rid = ANY($1::bigint[]))`,
        [rids],
      );
      return r.rows.map((row) => row.id);
    },
  );
}

/** Deletes jobs with their params, logs and artifacts. */
export async function deleteJobRows(tx: PgTx, ids: string[]): Promise<void> {
  await tx.client.query('DELETE FROM job_logs WHERE job_id = ANY($1::text[])', [ids]);
  await tx.client.query('DELETE FROM job_attempts WHERE job_id = ANY($1::text[])', [ids]);
  await tx.client.query('DELETE FROM artifacts WHERE job_id = ANY($1::text[])', [ids]);
  await tx.client.query(
    'DELETE FROM job_params WHERE rid IN (SELECT rid FROM jobs WHERE id = ANY($1::text[]))',
    [ids],
  );
  await tx.client.query('DELETE FROM jobs WHERE id = ANY($1::text[])', [ids]);
}
