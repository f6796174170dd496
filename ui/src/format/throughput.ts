/**
 * Throughput over time: finished jobs per time bucket (the API's timeline, padded to the
 * batch's whole run). The ETA is the server's (`BatchBody.etaMs`).
 */
export interface Bucket {
  /** Start of the bucket, ms since the epoch. */
  at: number;
  completed: number;
  failed: number;
}

/** Bucket sizes a person reads at a glance, smallest first. */
const NICE_BUCKET_MS = [
  1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000,
  1_800_000, 3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
];
/** Bars the chart aims at, at most: about 10 px each at its 600-unit width. */
export const MAX_CHART_BUCKETS = 60;

/**
 * The smallest readable bucket size giving at most MAX_CHART_BUCKETS buckets over
 * `spanMs` (the batch's age, or its run once finished); whole days beyond a day.
 */
export function chooseBucketMs(spanMs: number, maxBuckets = MAX_CHART_BUCKETS): number {
  const per = Math.max(0, spanMs) / maxBuckets;
  for (const ms of NICE_BUCKET_MS) if (ms >= per) return ms;
  return Math.ceil(per / 86_400_000) * 86_400_000;
}

/**
 * Every bucket from the one holding `startMs` to the one holding `endMs`, each with the
 * timeline's counts or zeros (the API's timeline spans only its first to its last
 * finish). Buckets start at multiples of `bucketMs`, as the API's do; a finish outside
 * the range widens it.
 */
export function padBuckets(
  items: readonly Bucket[],
  bucketMs: number,
  startMs: number,
  endMs: number,
): Bucket[] {
  const floor = (t: number) => Math.floor(t / bucketMs) * bucketMs;
  const byAt = new Map(items.map((b) => [b.at, b]));
  let first = floor(Math.min(startMs, endMs));
  let last = floor(endMs);
  for (const b of items) {
    first = Math.min(first, b.at);
    last = Math.max(last, b.at);
  }
  const out: Bucket[] = [];
  for (let at = first; at <= last; at += bucketMs) {
    const b = byAt.get(at);
    out.push({ at, completed: b?.completed ?? 0, failed: b?.failed ?? 0 });
  }
  return out;
}
