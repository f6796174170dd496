import { describe, expect, test } from 'vitest';
import { batchEtaMs, batchState } from '../../src/core/batch-state.ts';
import type { BatchCounts } from '../../src/core/model.ts';

function counts(c: Partial<BatchCounts>): BatchCounts {
  const full = { pending: 0, running: 0, completed: 0, failed: 0, cancelled: 0, ...c };
  return {
    ...full,
    total: full.pending + full.running + full.completed + full.failed + full.cancelled,
  };
}

describe('batchState', () => {
  test.each([
    [{ pending: 3 }, false, false, 'pending'],
    [{ pending: 2, running: 1 }, false, false, 'running'],
    [{ pending: 2, completed: 1 }, false, false, 'running'],
    [{ pending: 2, failed: 1 }, false, false, 'running'],
    [{ completed: 3 }, false, false, 'completed'],
    [{ completed: 2, failed: 1 }, false, false, 'failed'],
    [{ completed: 2, cancelled: 1 }, false, false, 'completed'],
    [{ cancelled: 3 }, false, false, 'cancelled'],
    [{ pending: 3 }, true, false, 'paused'],
    [{ running: 1, pending: 2 }, true, false, 'paused'],
    // A paused batch whose jobs all finished is finished, not paused.
    [{ completed: 3 }, true, false, 'completed'],
    [{ completed: 2, cancelled: 1 }, false, true, 'cancelled'],
    // Cancelled flag, but jobs still open (a retry): the jobs decide.
    [{ pending: 1, cancelled: 2 }, false, true, 'running'],
  ] as [Partial<BatchCounts>, boolean, boolean, string][])(
    '%j paused=%s cancelled=%s is %s',
    (c, paused, cancelled, state) => {
      expect(batchState(counts(c), paused, cancelled)).toBe(state);
    },
  );
});

describe('batchEtaMs', () => {
  test('extrapolates the pace so far', () => {
    // 10 s for 2.5 of 10 units: 7.5 units left at 4 s each.
    expect(batchEtaMs('running', 10, 2.5, 1_000, 11_000)).toBe(30_000);
    expect(batchEtaMs('running', 4, 2, 0, 1_000)).toBe(1_000);
  });

  test('unknown before anything is done, and when not running', () => {
    expect(batchEtaMs('running', 10, 0, 1_000, 5_000)).toBeNull();
    expect(batchEtaMs('running', 10, 1, null, 5_000)).toBeNull();
    expect(batchEtaMs('running', 0, 0, 1_000, 5_000)).toBeNull();
    for (const state of ['pending', 'paused', 'completed', 'failed', 'cancelled'] as const) {
      expect(batchEtaMs(state, 10, 5, 1_000, 5_000), state).toBeNull();
    }
  });

  test('zero when all units are done; never negative under clock skew', () => {
    expect(batchEtaMs('running', 10, 10, 1_000, 5_000)).toBe(0);
    expect(batchEtaMs('running', 10, 5, 5_000, 1_000)).toBe(0);
  });
});
