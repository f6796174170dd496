/**
 * The data of a batch's throughput chart: the API's timeline (finished jobs per bucket),
 * with a bucket size chosen from the batch's age, so a young batch gets second-wide bars
 * and an old one minutes or hours, never one bar for the whole run. The API's timeline
 * spans only its first to its last finish; the chart pads it (format/throughput.ts) from
 * the batch's start to now, or to its finish.
 *
 * Re-read every few seconds while the batch runs, and once when it ends. A failed read
 * keeps the last chart, says so, and is tried again later: a server that answered badly
 * once (or was restarting) does not turn the chart off for the rest of the visit.
 */
import { useEffect, useRef, useState } from 'react';
import { api } from '../api/index.ts';
import type { BatchBody } from '../api/types.ts';
import { type Bucket, chooseBucketMs } from '../format/throughput.ts';

/** Between reads while the batch runs: about a bar's width, within these bounds. */
const MIN_REFRESH_MS = 2_000;
const MAX_REFRESH_MS = 30_000;
/** After a failed read. */
const RETRY_MS = 5_000;

export interface TimelineData {
  /** The finishes per bucket, as read (not padded). */
  items: Bucket[];
  bucketMs: number;
  /** The last read's failure, until a read succeeds. */
  error: unknown;
}

/** Where the chart's time axis starts and ends: the batch's start to now, or its finish. */
export function batchSpan(batch: BatchBody, now: number): { startMs: number; endMs: number } {
  const startMs = Date.parse(batch.startedAt ?? batch.createdAt);
  const endMs = batch.finishedAt === null ? now : Date.parse(batch.finishedAt);
  return { startMs, endMs: Math.max(startMs, endMs) };
}

export function useTimeline(batch: BatchBody | undefined): TimelineData | undefined {
  const latest = useRef(batch);
  latest.current = batch;
  const [data, setData] = useState<TimelineData>();
  const id = batch?.id;
  const finishedAt = batch?.finishedAt ?? null;

  useEffect(() => {
    if (id === undefined) return;
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const read = async () => {
      const b = latest.current;
      if (b === undefined || stop) return;
      const { startMs, endMs } = batchSpan(b, Date.now());
      const bucketMs = chooseBucketMs(endMs - startMs);
      let failed = false;
      try {
        const t = await api.timeline(id, bucketMs);
        if (stop) return;
        setData({
          items: t.items.map((x) => ({
            at: Date.parse(x.at),
            completed: x.completed,
            failed: x.failed,
          })),
          bucketMs: t.bucketMs,
          error: undefined,
        });
      } catch (error) {
        if (stop) return;
        failed = true;
        setData((d) => ({ items: d?.items ?? [], bucketMs: d?.bucketMs ?? bucketMs, error }));
      }
      // Ended and read: the chart is final (a retry of its jobs reopens it: a new finishedAt).
      if (!failed && finishedAt !== null) return;
      const refresh = Math.min(MAX_REFRESH_MS, Math.max(MIN_REFRESH_MS, bucketMs));
      timer = setTimeout(read, failed ? RETRY_MS : refresh);
    };
    void read();
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, [id, finishedAt]);

  return data;
}
