import type { StoredError } from '../core/errors.ts';
import type { AttemptRow, BucketRow } from './store.ts';

/**
 * Past attempts (job_attempts), shared by both stores. A row is written only on the slow
 * paths, in the transaction that ends the attempt and from the job row as it ends, so
 * the worker's success path (completions) never writes one: the current or last attempt
 * is read from the job row itself (api/attempts.ts).
 */
export type AttemptEnd = AttemptRow['state'];

export interface AttemptDbRow {
  attempt: number;
  state: AttemptEnd;
  started_at_ms: number | null;
  finished_at_ms: number;
  lease_owner: string | null;
  error: string | null;
}

export function toAttemptRow(r: AttemptDbRow): AttemptRow {
  return {
    attempt: Number(r.attempt),
    state: r.state,
    startedAtMs: r.started_at_ms === null ? null : Number(r.started_at_ms),
    finishedAtMs: Number(r.finished_at_ms),
    leaseOwner: r.lease_owner,
    error: r.error === null ? null : (JSON.parse(r.error) as StoredError),
  };
}

export function toBucketRow(r: { at_ms: number; completed: number; failed: number }): BucketRow {
  return { atMs: Number(r.at_ms), completed: Number(r.completed), failed: Number(r.failed) };
}
