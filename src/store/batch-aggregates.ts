import { batchEtaMs, batchState } from '../core/batch-state.ts';
import type { JobState } from '../core/lifecycle.ts';
import type { Batch, BatchCounts } from '../core/model.ts';
import { type BatchRow, toBatchRecord } from './rows.ts';
import { toBatchWebhook, type WebhookDeliveryRow } from './webhook-rows.ts';

/**
 * A batch's jobs of one state, summed: what both stores' aggregate queries return (one
 * row per state, grouped over the batch's jobs when the batch is read; no counter row
 * that every completion would update).
 */
export interface AggregateRow {
  state: JobState;
  n: number;
  progress: number;
  tokens: number;
  cost: number;
  started: number | null;
  finished: number | null;
  seconds: number;
}

/**
 * A batch as read: its record, counts by state, progress, usage, times and ETA, and its
 * webhook's state (`delivery`: the outbox row of its current end, if it has a webhook).
 */
export function toBatch(
  row: BatchRow,
  aggregates: AggregateRow[],
  nowMs: number,
  delivery?: WebhookDeliveryRow | null,
): Batch {
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
  for (const a of aggregates) {
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
    webhook: toBatchWebhook(row, delivery),
  };
}
