import { KilnError } from '../core/errors.ts';
import type { Attempt, Job, TimelineBucket } from '../core/model.ts';
import type { AttemptRow, BucketRow } from '../store/store.ts';

/**
 * A job's attempts, oldest first: the past ones the store recorded on its slow paths,
 * then the current or last one read from the job row when no record names it (a
 * running attempt, a completed one: the worker's success path writes no record).
 * Attempt numbers count over the job's whole life, so after a retry by a person the
 * history reads 1, 2, 3 (before) then 4, … (after), never 1 again.
 */
export function jobAttempts(job: Job, recorded: AttemptRow[]): Attempt[] {
  const attempts: Attempt[] = recorded.map((r) => ({
    attempt: r.attempt,
    state: r.state,
    startedAt: r.startedAtMs === null ? null : new Date(r.startedAtMs),
    finishedAt: new Date(r.finishedAtMs),
    leaseOwner: r.leaseOwner,
    error: r.error,
  }));
  const current = currentAttempt(job);
  if (current && !recorded.some((r) => r.attempt === current.attempt)) attempts.push(current);
  return attempts;
}

/** The attempt the job row describes, if it is one no record covers. */
function currentAttempt(job: Job): Attempt | null {
  if (job.attempt === 0 || job.state === 'pending') return null;
  return {
    attempt: job.attempt,
    state: job.state,
    startedAt: job.startedAt,
    finishedAt: job.state === 'running' ? null : job.finishedAt,
    leaseOwner: job.leaseOwner,
    error: job.state === 'failed' ? job.error : null,
  };
}

/** Smallest bucket the timeline takes, and how many buckets its default aims at. */
export const MIN_BUCKET_MS = 100;
const TARGET_BUCKETS = 200;
/** A bucket size far too small for the batch's span is refused rather than answered with millions of rows. */
const MAX_BUCKETS = 10_000;

export function checkBucketMs(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < MIN_BUCKET_MS) {
    throw new KilnError(
      'INVALID_ARGUMENT',
      `bucketMs must be an integer >= ${MIN_BUCKET_MS}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** A bucket size (a multiple of 100 ms) giving at most about TARGET_BUCKETS buckets. */
export function defaultBucketMs(span: { firstMs: number; lastMs: number } | null): number {
  if (span === null) return 1_000;
  const per = Math.ceil((span.lastMs - span.firstMs + 1) / TARGET_BUCKETS);
  return Math.max(MIN_BUCKET_MS, Math.ceil(per / MIN_BUCKET_MS) * MIN_BUCKET_MS);
}

/** Every bucket from the first non-empty one to the last, the empty ones included. */
export function fillBuckets(rows: BucketRow[], bucketMs: number): TimelineBucket[] {
  if (rows.length === 0) return [];
  const count = (rows[rows.length - 1]!.atMs - rows[0]!.atMs) / bucketMs + 1;
  if (count > MAX_BUCKETS) {
    throw new KilnError(
      'INVALID_ARGUMENT',
      `bucketMs ${bucketMs} gives ${count} buckets for this batch; at most ${MAX_BUCKETS}`,
    );
  }
  const byAt = new Map(rows.map((r) => [r.atMs, r]));
  const out: TimelineBucket[] = [];
  for (let at = rows[0]!.atMs; at <= rows[rows.length - 1]!.atMs; at += bucketMs) {
    const r = byAt.get(at);
    out.push({ at: new Date(at), completed: r?.completed ?? 0, failed: r?.failed ?? 0 });
  }
  return out;
}
