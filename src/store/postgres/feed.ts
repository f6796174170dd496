import type { ChangeEvent } from '../../core/model.ts';
import {
  type BatchRow,
  cutAtGroup,
  feedEvents,
  JOB_COLUMN_NAMES,
  JOB_COLUMNS,
  JOB_TABLES,
  type JobRow,
} from '../rows.ts';
import type { FeedFilter } from '../store.ts';
import type { PgConnection } from './connection.ts';
import { feedHorizon, KILN_WRITERS } from './sql.ts';

/** Kiln's writers now (sql.ts, KILN_WRITERS), for the horizon of the next statement. */
async function writers(c: PgConnection): Promise<[next: number, xids: number[]]> {
  const [row] = await c.tuples<[number, string[]]>(KILN_WRITERS, [], 'kiln_writers');
  return [row![0], row![1].map(Number)];
}

/**
 * The feed position from which a reader sees every change still to come: everything
 * below the horizon has ended (changesSince). A change that commits later than this
 * call but was stamped below the horizon cannot exist.
 */
export async function currentSeq(c: PgConnection): Promise<number> {
  const [next, xids] = await writers(c);
  const [row] = await c.tuples<[number]>(
    `SELECT ${feedHorizon('$1', '$2')} - 1`,
    [next, xids],
    'kiln_current_seq',
  );
  return row![0];
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

/** The job columns of the page's lateral subquery `j` (which carries `params` too). */
const PAGE_COLUMNS = JOB_COLUMN_NAMES.map((name) => `j.${name}`).join(', ');

/**
 * Rows changed after a position, in (seq, rid) order, like the SQLite store's feed: the
 * rows are the feed, each row at the seq of the transaction that last changed it.
 *
 * A PostgreSQL transaction's seq is its transaction id (sql.ts, TX_SEQ), and ids are not
 * in commit order: a transaction with a lower id may commit after one with a higher id
 * that a reader already passed. So a reader reads, in one snapshot, only rows stamped
 * below that snapshot's horizon (the oldest of Kiln's writers still running; sql.ts,
 * feedHorizon): everything below it has ended, and everything still to commit is at or
 * above it. A commit is seen as soon as every older Kiln transaction has ended, never
 * skipped. A page never ends inside a seq group, as in SQLite.
 *
 * Kiln's writers are listed first; the job rows and the horizon then come from one
 * statement (one snapshot; the horizon comes back even when no row does). Batches are
 * read after, bounded by that horizon: every batch change below it had committed before
 * the rows' snapshot.
 */
export async function changesSince(
  c: PgConnection,
  afterSeq: number,
  filter: FeedFilter,
  limit: number,
): Promise<ChangeEvent[]> {
  const [next, xids] = await writers(c);
  const w = jobWhere(filter, 5);
  const name = `kiln_feed_${filter.jobId === undefined ? '' : 'j'}${filter.batchId === undefined ? '' : 'b'}`;
  const rows = await c.tuples<[number, ...JobRow]>(
    `SELECT h.h, ${PAGE_COLUMNS} FROM (SELECT ${feedHorizon('$3', '$4')} AS h) AS h
     LEFT JOIN LATERAL (SELECT j.*, p.params FROM ${JOB_TABLES}
       WHERE j.updated_seq > $1 AND j.updated_seq < h.h${w.sql}
       ORDER BY j.updated_seq, j.rid LIMIT $2) AS j ON true`,
    [afterSeq, limit, next, xids, ...w.params],
    name,
  );
  const horizon = rows[0]![0];
  const page = cutAtGroup(rows[0]![1] === null ? [] : rows.map((r) => r.slice(1)), limit);
  let jobs = page.rows;
  if (page.wholeGroup !== null) {
    // One transaction changed more rows than a page holds: it is read whole. It is below
    // the horizon, so it had committed, and a later snapshot sees all of it.
    const g = jobWhere(filter, 2);
    jobs = await c.tuples<JobRow>(
      `SELECT ${JOB_COLUMNS} FROM ${JOB_TABLES} WHERE j.updated_seq = $1${g.sql} ORDER BY j.rid`,
      [page.wholeGroup, ...g.params],
    );
  }
  const upperSeq = page.upToSeq ?? horizon - 1;
  let batches: BatchRow[] = [];
  if (filter.jobId === undefined && upperSeq > afterSeq) {
    batches =
      filter.batchId === undefined
        ? await c.query<BatchRow>(
            'SELECT * FROM batches WHERE updated_seq > $1 AND updated_seq <= $2 ORDER BY updated_seq',
            [afterSeq, upperSeq],
          )
        : await c.query<BatchRow>(
            'SELECT * FROM batches WHERE updated_seq > $1 AND updated_seq <= $2 AND id = $3 ORDER BY updated_seq',
            [afterSeq, upperSeq, filter.batchId],
          );
  }
  return feedEvents(jobs, batches);
}
