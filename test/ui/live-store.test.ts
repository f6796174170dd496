/**
 * The live store and the throughput helpers: an older row (lower seq) never replaces a
 * newer one, so progress on screen never goes backwards; listeners of a key are called
 * once per flush however many events came; ETA and throughput from finish times.
 */
import { describe, expect, it } from 'vitest';
import type { BatchBody, JobBody } from '../../src/server/schemas/index.ts';
import { bucketize, etaMs, ratePerSecond } from '../../ui/src/format/throughput.ts';
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

  it('takes job and batch events from the stream, and records finishes it saw', () => {
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
    expect(store.finishes.get('b1')).toEqual([
      { at: Date.parse('2025-01-01T00:00:10.000Z'), failed: false },
    ]);
  });
});

describe('throughput and ETA', () => {
  it('buckets finishes with gaps as zeros', () => {
    const t0 = 1_000_000;
    const b = bucketize(
      [
        { at: t0 + 100, failed: false },
        { at: t0 + 200, failed: true },
        { at: t0 + 11_000, failed: false },
      ],
      5_000,
      t0 + 14_000,
    );
    expect(b).toEqual([
      { at: t0, completed: 1, failed: 1 },
      { at: t0 + 5_000, completed: 0, failed: 0 },
      { at: t0 + 10_000, completed: 1, failed: 0 },
    ]);
    expect(ratePerSecond(b, 5_000, 15_000)).toBeCloseTo(3 / 15);
    expect(ratePerSecond(b, 5_000, 5_000)).toBeCloseTo(1 / 5);
    expect(bucketize([], 5_000, t0)).toEqual([]);
  });

  it('ETA is remaining over rate; unknown without a rate', () => {
    expect(etaMs(10, 2)).toBe(5_000);
    expect(etaMs(0, 0)).toBe(0);
    expect(etaMs(5, 0)).toBeNull();
    expect(duration(5_000)).toBe('5 s');
    expect(duration(185_000)).toBe('3 min 5 s');
    expect(duration(7_500_000)).toBe('2 h 5 min');
    expect(duration(850)).toBe('850 ms');
  });
});
