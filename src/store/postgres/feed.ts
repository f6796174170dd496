import type { ChangeEvent } from '../../core/model.ts';
import {
  type BatchRow,
  JOB_COLUMNS,
  JOB_TABLES,
  type JobRow,
  jobRowSeq,
  toBatchRecord,
  toJob,
} from '../rows.ts';
import type { FeedFilter } from '../store.ts';
import type { PgConnection } from './connection.ts';
import { FEED_HORIZON } from './sql.ts';

/**
 * The feed position from which a reader sees every change still to come: everything
 * below the horizon has ended (feed.ts, changesSince). A change that commits later than
 * this call but was stamped below the horizon cannot exist.
 */
export async function currentSeq(c: PgConnection): Promise<number> {
  const [row] = await c.query<{ h: number }>(`SELECT ${FEED_HORIZON} - 1 AS h`);
  return row!.h;
}

function jobWhere(filter: FeedFilter, first: number): { sql: string; params: string[] } {
  const parts: string[] = [];
  const params: string[] = [];
  if (filter.jobId !== undefined) {
    params.push(filter.jobId);
    parts.push(`j.id = $${first + params.length - 1}`);
  }
  if (filter.batchId !== undefined) {
    params.push(filter.batchId);
    parts.push(`j.batch_id = $${first + params.length - 1}`);
  }
  return { sql: parts.map((p) => ` AND ${p}`).join(''), params };
}

/**
 * Rows changed after a position, in (seq, rid) order, like the SQLite store's feed: the
 * rows are the feed, each row at the seq of the transaction that last changed it.
 *
 * A PostgreSQL transaction's seq is its transaction id (sql.ts, TX_SEQ), and ids are not
 * in commit order: a transaction with a lower id may commit after one with a higher id
 * that a reader already passed. So a reader reads, in one snapshot, only rows stamped
 * below that snapshot's horizon (the oldest transaction still running): everything
 * below it has ended, and everything still to commit is at or above it. A commit is
 * therefore seen as soon as every transaction older than it has ended, never skipped.
 * A page never ends inside a seq group, as in SQLite.
 */
export async function changesSince(
  c: PgConnection,
  afterSeq: number,
  filter: FeedFilter,
  limit: number,
): Promise<ChangeEvent[]> {
  return c.read(async (client) => {
    const horizon = (await client.query<{ h: number }>(`SELECT ${FEED_HORIZON} AS h`)).rows[0]!.h;
    if (horizon - 1 <= afterSeq) return [];
    const w = jobWhere(filter, 4);
    const page = `SELECT ${JOB_COLUMNS} FROM ${JOB_TABLES}
      WHERE j.updated_seq > $1 AND j.updated_seq < $2${w.sql} ORDER BY j.updated_seq, j.rid LIMIT $3`;
    let jobs = (
      await client.query<JobRow>({
        text: page,
        values: [afterSeq, horizon, limit, ...w.params],
        rowMode: 'array',
      })
    ).rows;
    let upperSeq = horizon - 1;
    if (jobs.length === limit && limit > 0) {
      const boundary = jobRowSeq(jobs[jobs.length - 1]!);
      const whole = jobs.filter((j) => jobRowSeq(j) < boundary);
      if (whole.length > 0) {
        jobs = whole;
        upperSeq = boundary - 1;
      } else {
        // One transaction changed more rows than the page holds: return it whole.
        const g = jobWhere(filter, 2);
        jobs = (
          await client.query<JobRow>({
            text: `SELECT ${JOB_COLUMNS} FROM ${JOB_TABLES} WHERE j.updated_seq = $1${g.sql} ORDER BY j.rid`,
            values: [boundary, ...g.params],
            rowMode: 'array',
          })
        ).rows;
        upperSeq = boundary;
      }
    }
    let batches: BatchRow[] = [];
    if (filter.jobId === undefined) {
      batches = (
        filter.batchId === undefined
          ? await client.query<BatchRow>(
              'SELECT * FROM batches WHERE updated_seq > $1 AND updated_seq <= $2 ORDER BY updated_seq',
              [afterSeq, upperSeq],
            )
          : await client.query<BatchRow>(
              'SELECT * FROM batches WHERE updated_seq > $1 AND updated_seq <= $2 AND id = $3 ORDER BY updated_seq',
              [afterSeq, upperSeq, filter.batchId],
            )
      ).rows;
    }
    const events: ChangeEvent[] = [];
    let b = 0;
    for (const j of jobs) {
      const seq = jobRowSeq(j);
      while (b < batches.length && batches[b]!.updated_seq <= seq) {
        const row = batches[b++]!;
        events.push({ kind: 'batch', seq: row.updated_seq, batch: toBatchRecord(row) });
      }
      events.push({ kind: 'job', seq, job: toJob(j) });
    }
    for (; b < batches.length; b++) {
      events.push({
        kind: 'batch',
        seq: batches[b]!.updated_seq,
        batch: toBatchRecord(batches[b]!),
      });
    }
    return events;
  });
}
