/**
 * The live store and the throughput helpers: an older row (lower seq) never replaces a
 * newer one, so progress on screen never goes backwards; listeners of a key are called
 * once per flush however many events came; the throughput chart's buckets and durations.
 */
import { describe, expect, it } from 'vitest';
import type { BatchBody, JobBody } from '../../src/server/schemas/index.ts';
import { chooseBucketMs, padBuckets } from '../../ui/src/format/throughput.ts';
import { duration } from '../../ui/src/format/time.ts';
import { applyMessage } from '../../ui/src/live/connection.ts';
import { LiveStore } from '../../ui/src/live/store.ts';

const job = (over: Partial<JobBody>): JobBody =>
  ({
    id: 'j1',
    batchId: 'b1',
    state: 'running',
    progress: 0,
    seq: 1,
    finishedAt: null,
    ...over,
  }) as JobBody;

function manualStore() {
  let pending: (() => void) | undefined;
  const store = new LiveStore((flush) => () => {
    pending = flush;
  });
  return { store, flush: () => pending?.() };
}

describe('the live store', () => {
  it('ignores a row older than the one held', () => {
    const { store } = manualStore();
    expect(store.putJob(job({ progress: 0.5, seq: 10 }))).toBe(true);
    expect(store.putJob(job({ progress: 0.2, seq: 9 }))).toBe(false);
    expect(store.putJob(job({ progress: 0.5, seq: 10 }))).toBe(false);
    expect(store.jobs.get('j1')!.progress).toBe(0.5);
    expect(store.putJob(job({ progress: 0.7, seq: 11 }))).toBe(true);
    expect(store.jobs.get('j1')!.progress).toBe(0.7);
  });

  it('coalesces: one listener call per flush, only for the keys that changed', () => {
    const { store, flush } = manualStore();
    const calls: string[] = [];
    store.subscribe('job:j1', () => calls.push('j1'));
    store.subscribe('job:j2', () => calls.push('j2'));
    store.subscribe('batch-jobs:b1', () => calls.push('list'));
    for (let seq = 1; seq <= 100; seq++) store.putJob(job({ seq, progress: seq / 100 }));
    flush();
    expect(calls).toEqual(['j1', 'list']);
    expect(store.version('job:j1')).toBe(1);
    expect(store.jobIdsOf('b1')).toEqual(['j1']);
  });

  it('takes job and batch events from the stream', () => {
    const { store } = manualStore();
    applyMessage(store, {
      event: 'job',
      data: JSON.stringify(job({ seq: 1 })),
      id: '',
      hasId: false,
    });
    applyMessage(store, {
      event: 'job',
      data: JSON.stringify(
        job({ seq: 2, state: 'completed', finishedAt: '2025-01-01T00:00:10.000Z' }),
      ),
      id: '2',
      hasId: true,
    });
    applyMessage(store, {
      event: 'batch',
      data: JSON.stringify({ id: 'b1', seq: 3 } as BatchBody),
      id: '',
      hasId: false,
    });
    applyMessage(store, { event: 'snapshot', data: '{"position":3}', id: '3', hasId: true });
    applyMessage(store, { event: 'job', data: 'not json', id: '', hasId: false });
    expect(store.jobs.get('j1')!.state).toBe('completed');
    expect(store.batches.has('b1')).toBe(true);
  });
});

describe('throughput and ETA', () => {
  it("pads the timeline's buckets from the batch's start to its end, gaps as zeros", () => {
    const t0 = 1_000_000;
    const items = [
      { at: t0 + 5_000, completed: 1, failed: 1 },
      { at: t0 + 15_000, completed: 1, failed: 0 },
    ];
    const b = padBuckets(items, 5_000, t0 + 1_200, t0 + 24_000);
    expect(b).toEqual([
      { at: t0, completed: 0, failed: 0 },
      { at: t0 + 5_000, completed: 1, failed: 1 },
      { at: t0 + 10_000, completed: 0, failed: 0 },
      { at: t0 + 15_000, completed: 1, failed: 0 },
      { at: t0 + 20_000, completed: 0, failed: 0 },
    ]);
    // Nothing finished yet: empty bars over the run so far; a finish outside widens it.
    expect(padBuckets([], 5_000, t0, t0 + 9_999)).toHaveLength(2);
    expect(padBuckets(items, 5_000, t0 + 10_000, t0 + 10_000)[0]!.at).toBe(t0 + 5_000);
  });

  it('chooses a readable bucket size giving at most 60 bars', () => {
    expect(chooseBucketMs(0)).toBe(1_000);
    expect(chooseBucketMs(30_000)).toBe(1_000);
    expect(chooseBucketMs(60_000)).toBe(1_000);
    expect(chooseBucketMs(61_000)).toBe(2_000);
    expect(chooseBucketMs(10 * 60_000)).toBe(10_000);
    expect(chooseBucketMs(3 * 3_600_000)).toBe(300_000);
    expect(chooseBucketMs(10 * 86_400_000)).toBe(21_600_000);
    expect(chooseBucketMs(100 * 86_400_000)).toBe(2 * 86_400_000);
    for (const span of [1, 59_999, 123_456, 7_654_321, 98_765_432])
      expect(span / chooseBucketMs(span)).toBeLessThanOrEqual(60);
  });

  it('durations read at a glance', () => {
    expect(duration(5_000)).toBe('5 s');
    expect(duration(185_000)).toBe('3 min 5 s');
    expect(duration(7_500_000)).toBe('2 h 5 min');
    expect(duration(850)).toBe('850 ms');
  });
});
