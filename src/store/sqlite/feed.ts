import type { SQLInputValue } from 'node:sqlite';
import type { ChangeEvent } from '../../core/model.ts';
import {
  type BatchRow,
  cutAtGroup,
  feedEvents,
  JOB_COLUMNS,
  JOB_TABLES,
  type JobRow,
} from '../rows.ts';
import type { FeedFilter } from '../store.ts';
import type { SqliteConnection } from './connection.ts';

export function currentSeq(c: SqliteConnection): number {
  return c.get<{ value: number }>('SELECT value FROM kiln_seq WHERE id = 1')!.value;
}

/**
 * Job rows changed after a position, in (seq, rowid) order: the SQL of one page (LIMIT
 * appended) and of one whole seq group. Unfiltered, the change log says which rows each
 * transaction changed; one job or one batch is found through its own index.
 */
function jobQueries(filter: FeedFilter): { page: string; group: string; params: SQLInputValue[] } {
  if (filter.jobId === undefined && filter.batchId === undefined) {
    // CROSS JOIN keeps the log as the outer loop and `+` keeps SQLite from indexing
    // updated_seq on the fly: each entry is a rowid range read in order, so no sort.
    const from = `SELECT ${JOB_COLUMNS} FROM job_changes c
      CROSS JOIN jobs j ON j.rid BETWEEN c.first_rid AND c.last_rid AND +j.updated_seq = c.seq
      CROSS JOIN job_params p ON p.rid = j.rid`;
    return {
      page: `${from} WHERE c.seq > ? ORDER BY c.seq, c.first_rid, j.rid LIMIT ?`,
      group: `${from} WHERE c.seq = ? ORDER BY c.first_rid, j.rid`,
      params: [],
    };
  }
  const where =
    filter.jobId !== undefined
      ? filter.batchId !== undefined
        ? 'j.id = ? AND j.batch_id = ?'
        : 'j.id = ?'
      : 'j.batch_id = ?';
  const params: SQLInputValue[] = [];
  if (filter.jobId !== undefined) params.push(filter.jobId);
  if (filter.batchId !== undefined) params.push(filter.batchId);
  return {
    page: `SELECT ${JOB_COLUMNS} FROM ${JOB_TABLES} WHERE ${where} AND j.updated_seq > ? ORDER BY j.updated_seq, j.rid LIMIT ?`,
    group: `SELECT ${JOB_COLUMNS} FROM ${JOB_TABLES} WHERE ${where} AND j.updated_seq = ? ORDER BY j.rid`,
    params,
  };
}

/**
 * The feed is the rows themselves: each row carries the seq of the transaction that
 * last changed it, so a reader gets every job and batch changed after its position,
 * each as one consistent snapshot (intermediate values of a row that changed twice
 * are coalesced; the latest subsumes them, and progress within an attempt only rises).
 *
 * One transaction's rows share a seq, and a page never ends inside a seq group: a
 * reader that resumes after the last seq it saw cannot skip the rest of a group.
 */
export function changesSince(
  c: SqliteConnection,
  afterSeq: number,
  filter: FeedFilter,
  limit: number,
): ChangeEvent[] {
  return c.read(() => {
    const q = jobQueries(filter);
    const page = cutAtGroup(c.tuples<JobRow>(q.page, ...q.params, afterSeq, limit), limit);
    // One transaction changed more rows than a page holds: it is read whole.
    const jobs =
      page.wholeGroup === null
        ? page.rows
        : c.tuples<JobRow>(q.group, ...q.params, page.wholeGroup);
    const upperSeq = page.upToSeq ?? Number.POSITIVE_INFINITY;
    let batches: BatchRow[] = [];
    if (filter.jobId === undefined) {
      const batchSql =
        filter.batchId === undefined
          ? 'SELECT * FROM batches WHERE updated_seq > ? AND updated_seq <= ? ORDER BY updated_seq'
          : 'SELECT * FROM batches WHERE updated_seq > ? AND updated_seq <= ? AND id = ? ORDER BY updated_seq';
      const upper = Number.isFinite(upperSeq) ? upperSeq : Number.MAX_SAFE_INTEGER;
      batches =
        filter.batchId === undefined
          ? c.all<BatchRow>(batchSql, afterSeq, upper)
          : c.all<BatchRow>(batchSql, afterSeq, upper, filter.batchId);
    }
    return feedEvents(jobs, batches);
  });
}
