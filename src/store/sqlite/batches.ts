import { batchEtaMs, batchState } from '../../core/batch-state.ts';
import type { JobState } from '../../core/lifecycle.ts';
import type { Batch, BatchCounts, Page } from '../../core/model.ts';
import { type BatchRow, decodeCursor, encodeCursor, toBatchRecord } from '../rows.ts';
import type { PageRequest } from '../store.ts';
import type { SqliteConnection } from './connection.ts';

interface AggregateRow {
  state: JobState;
  n: number;
  progress: number;
  tokens: number;
  cost: number;
  started: number | null;
  finished: number | null;
  seconds: number;
}

// One pass over the batch's jobs (index jobs_batch), grouped by state.
const AGGREGATE = `SELECT state, count(*) AS n, total(progress) AS progress, total(usage_tokens) AS tokens,
  total(usage_cost_usd) AS cost, min(started_at_ms) AS started, max(finished_at_ms) AS finished,
  total(CASE WHEN finished_at_ms IS NOT NULL AND started_at_ms IS NOT NULL
    THEN finished_at_ms - started_at_ms ELSE 0 END) / 1000.0 AS seconds
FROM jobs WHERE batch_id = ? GROUP BY state`;

function withAggregates(c: SqliteConnection, row: BatchRow, nowMs: number): Batch {
  const record = toBatchRecord(row);
  const counts: BatchCounts = {
    total: 0,
    pending: 0,
    running: 0,
    completed: 0,
    failed: 0,
    cancelled: 0,
  };
  let doneUnits = 0;
  let tokens = 0;
  let cost = 0;
  let seconds = 0;
  let started: number | null = null;
  let finished: number | null = null;
  for (const a of c.all<AggregateRow>(AGGREGATE, row.id)) {
    counts[a.state] = a.n;
    counts.total += a.n;
    // A finished job counts as fully done, whatever its last progress was.
    doneUnits += a.state === 'pending' || a.state === 'running' ? a.progress : a.n;
    tokens += a.tokens;
    cost += a.cost;
    seconds += a.seconds;
    if (a.started !== null && (started === null || a.started < started)) started = a.started;
    if (a.finished !== null && (finished === null || a.finished > finished)) finished = a.finished;
  }
  const state = batchState(counts, record.paused, record.cancelled);
  const open = counts.pending + counts.running > 0;
  return {
    ...record,
    state,
    counts,
    progress: counts.total === 0 ? 1 : doneUnits / counts.total,
    usage: { tokens, costUsd: cost, seconds },
    startedAt: started === null ? null : new Date(started),
    finishedAt: open || finished === null ? null : new Date(finished),
    etaMs: batchEtaMs(state, counts.total, doneUnits, started, nowMs),
  };
}

export function getBatch(c: SqliteConnection, id: string): Batch | null {
  return c.read(() => {
    const row = c.get<BatchRow>('SELECT * FROM batches WHERE id = ?', id);
    return row ? withAggregates(c, row, Date.now()) : null;
  });
}

export function listBatches(c: SqliteConnection, page: PageRequest): Page<Batch> {
  return c.read(() => {
    const after = decodeCursor(page.cursor);
    const rows =
      after === null
        ? c.all<BatchRow>('SELECT * FROM batches ORDER BY id DESC LIMIT ?', page.limit + 1)
        : c.all<BatchRow>(
            'SELECT * FROM batches WHERE id < ? ORDER BY id DESC LIMIT ?',
            after,
            page.limit + 1,
          );
    const more = rows.length > page.limit;
    const now = Date.now();
    const items = (more ? rows.slice(0, page.limit) : rows).map((r) => withAggregates(c, r, now));
    return { items, nextCursor: more ? encodeCursor(items[items.length - 1]!.id) : null };
  });
}

export function pauseBatch(c: SqliteConnection, id: string, paused: boolean): boolean {
  return c.write(
    (tx) =>
      c.run(
        'UPDATE batches SET paused = ?, updated_seq = ? WHERE id = ?',
        paused ? 1 : 0,
        tx.seq(),
        id,
      ) === 1,
  );
}
