import type { Batch, BatchState } from '../core/model.ts';

/** Which batches a list returns (every field optional; all given must hold). */
export interface BatchFilter {
  /** Batch states; derived from the jobs, so checked after the aggregates are read. */
  state?: BatchState[];
  /** Case-insensitive substring of the name (ASCII case folding on SQLite). */
  q?: string;
  /** The template the batch was created from. */
  template?: string;
}

/**
 * Batches are read in chunks of this many when a state filter applies: a batch's state
 * is derived from its jobs (core/batch-state.ts, the one place that rule lives), so the
 * list reads each chunk's aggregates in one grouped query and keeps the batches whose
 * derived state matches, chunk after chunk, until the page is full. Without a state
 * filter a page reads exactly `limit + 1` batches, as before.
 */
export const STATE_FILTER_CHUNK = 200;

/** Whether a batch read with its aggregates passes the state part of the filter. */
export function stateMatches(batch: Batch, filter: BatchFilter): boolean {
  return filter.state === undefined || filter.state.includes(batch.state);
}

/** Rows to read per chunk for this page. */
export function chunkSize(filter: BatchFilter, limit: number): number {
  return filter.state === undefined ? limit + 1 : Math.max(limit + 1, STATE_FILTER_CHUNK);
}
