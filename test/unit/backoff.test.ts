import { describe, expect, test } from 'vitest';
import { backoffDelayMs, DEFAULT_BACKOFF } from '../../src/core/backoff.ts';

const exact = { baseMs: 100, maxMs: 10_000, jitter: 0 };

describe('backoffDelayMs', () => {
  test('doubles with each attempt, starting at baseMs', () => {
    expect([1, 2, 3, 4, 5].map((a) => backoffDelayMs(a, exact))).toEqual([
      100, 200, 400, 800, 1600,
    ]);
  });

  test('is capped at maxMs', () => {
    expect(backoffDelayMs(7, exact)).toBe(6_400);
    expect(backoffDelayMs(8, exact)).toBe(10_000);
    expect(backoffDelayMs(50, exact)).toBe(10_000);
    // A huge attempt number neither overflows nor returns Infinity/NaN.
    expect(backoffDelayMs(Number.MAX_SAFE_INTEGER, exact)).toBe(10_000);
  });

  test('attempt 0 or below is treated as the first', () => {
    expect(backoffDelayMs(0, exact)).toBe(100);
    expect(backoffDelayMs(-3, exact)).toBe(100);
  });

  test('jitter only shortens the delay, by at most jitter × delay', () => {
    const policy = { baseMs: 1_000, maxMs: 60_000, jitter: 0.5 };
    expect(backoffDelayMs(3, policy, () => 0)).toBe(4_000);
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(3_000);
    // random() < 1, so the lower bound is approached but never reached.
    expect(backoffDelayMs(3, policy, () => 0.999_999)).toBe(2_000);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelayMs(3, policy);
      expect(d).toBeGreaterThanOrEqual(2_000);
      expect(d).toBeLessThanOrEqual(4_000);
    }
  });

  test('jitter applies after the cap', () => {
    const policy = { baseMs: 1_000, maxMs: 5_000, jitter: 1 };
    expect(backoffDelayMs(10, policy, () => 0.25)).toBe(3_750);
  });

  test('jitter outside 0..1 is clamped', () => {
    expect(backoffDelayMs(1, { baseMs: 1_000, maxMs: 1_000, jitter: 5 }, () => 0.5)).toBe(500);
    expect(backoffDelayMs(1, { baseMs: 1_000, maxMs: 1_000, jitter: -1 }, () => 0.5)).toBe(1_000);
  });

  test('the default policy: 1 s base, 5 min cap, half jitter', () => {
    expect(DEFAULT_BACKOFF).toEqual({ baseMs: 1_000, maxMs: 300_000, jitter: 0.5 });
    expect(backoffDelayMs(1, undefined, () => 0)).toBe(1_000);
    expect(backoffDelayMs(20, undefined, () => 0)).toBe(300_000);
    expect(backoffDelayMs(20, undefined, () => 0.5)).toBe(225_000);
  });
});
