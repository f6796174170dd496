/**
 * Throughput over time and the ETA it implies: finished jobs per time bucket (from the
 * API's timeline, or from the finishes this page saw), and remaining / recent rate.
 */
export interface Bucket {
  /** Start of the bucket, ms since the epoch. */
  at: number;
  completed: number;
  failed: number;
}

/** Finishes in buckets of `bucketMs`, from the first bucket to the one holding `now`, gaps as zeros. */
export function bucketize(
  finishes: readonly { at: number; failed: boolean }[],
  bucketMs: number,
  now: number,
): Bucket[] {
  if (finishes.length === 0) return [];
  const first = Math.floor(Math.min(...finishes.map((f) => f.at)) / bucketMs) * bucketMs;
  const last = Math.floor(Math.max(now, ...finishes.map((f) => f.at)) / bucketMs) * bucketMs;
  const out: Bucket[] = [];
  for (let at = first; at <= last; at += bucketMs) out.push({ at, completed: 0, failed: 0 });
  for (const f of finishes) {
    const b = out[Math.floor((f.at - first) / bucketMs)]!;
    if (f.failed) b.failed++;
    else b.completed++;
  }
  return out;
}

/** Jobs finished per second over the last `windowMs` of the buckets (0 when none). */
export function ratePerSecond(
  buckets: readonly Bucket[],
  bucketMs: number,
  windowMs: number,
): number {
  const n = Math.max(1, Math.round(windowMs / bucketMs));
  const recent = buckets.slice(-n);
  if (recent.length === 0) return 0;
  const done = recent.reduce((s, b) => s + b.completed + b.failed, 0);
  return done / ((recent.length * bucketMs) / 1000);
}

/** ms left for `remaining` jobs at `rate` per second; null when unknown. */
export function etaMs(remaining: number, rate: number): number | null {
  if (remaining <= 0) return 0;
  if (!(rate > 0)) return null;
  return (remaining / rate) * 1000;
}
