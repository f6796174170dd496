import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { defineJob } from '../../src/core/define-job.ts';
import { KilnError, NonRetryableError } from '../../src/core/errors.ts';
import { decide, isNonRetryable } from '../../src/worker/outcome.ts';

const exactBackoff = { baseMs: 100, maxMs: 1_000, jitter: 0 };

class QuotaError extends Error {}

const def = defineJob({
  type: 'outcome-test',
  params: z.object({}),
  retry: {
    attempts: 3,
    backoff: exactBackoff,
    nonRetryable: (error) => error instanceof QuotaError,
  },
  run: () => null,
});

const fence = (attempt: number) => ({ id: 'j', attempt, owner: 'w', row: 1 });

describe('decide', () => {
  test('a returned value completes the job with its result', () => {
    expect(decide(fence(1), 3, def, { ok: true, result: { n: 1 } })).toEqual({
      kind: 'complete',
      fence: fence(1),
      resultJson: '{"n":1}',
    });
    expect(decide(fence(1), 3, def, { ok: true, result: undefined })).toMatchObject({
      resultJson: null,
    });
  });

  test('a result JSON cannot hold fails the attempt as INVALID_RESULT, retried like a throw', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    for (const result of [{ n: 10n }, cycle]) {
      expect(decide(fence(1), 3, def, { ok: true, result })).toMatchObject({
        kind: 'reschedule',
        error: { code: 'INVALID_RESULT', message: expect.stringMatching(/^the result must be/) },
      });
      expect(decide(fence(3), 3, def, { ok: true, result })).toMatchObject({
        kind: 'fail',
        error: { code: 'INVALID_RESULT' },
      });
    }
  });

  test('a failure with attempts left reschedules with the backoff of that attempt', () => {
    const first = decide(fence(1), 3, def, { ok: false, error: new Error('boom') });
    expect(first).toMatchObject({ kind: 'reschedule', delayMs: 100, error: { message: 'boom' } });
    const second = decide(fence(2), 3, def, { ok: false, error: new Error('boom') });
    expect(second).toMatchObject({ kind: 'reschedule', delayMs: 200 });
  });

  test('the injected random drives jitter', () => {
    const jittery = defineJob({
      type: 'jittery',
      params: z.object({}),
      retry: { backoff: { baseMs: 1_000, maxMs: 10_000, jitter: 1 } },
      run: () => null,
    });
    const s = decide(fence(1), 3, jittery, { ok: false, error: new Error('x') }, () => 0.25);
    expect(s).toMatchObject({ kind: 'reschedule', delayMs: 750 });
  });

  test('the failure of the last attempt fails the job', () => {
    const s = decide(fence(3), 3, def, { ok: false, error: new Error('boom') });
    expect(s.kind).toBe('fail');
    expect(s).toMatchObject({ error: { message: 'boom' } });
    expect(s).not.toHaveProperty('delayMs');
  });

  test('the stored error keeps message, stack and code', () => {
    const error = Object.assign(new Error('teapot'), { code: 'E_TEAPOT' });
    const s = decide(fence(3), 3, def, { ok: false, error });
    if (s.kind !== 'fail') throw new Error(s.kind);
    expect(s.error.message).toBe('teapot');
    expect(s.error.code).toBe('E_TEAPOT');
    expect(s.error.stack).toContain('teapot');
  });

  test('NonRetryableError fails at once, attempts left or not', () => {
    const s = decide(fence(1), 3, def, {
      ok: false,
      error: new NonRetryableError('no', { code: 'NOPE' }),
    });
    expect(s).toMatchObject({ kind: 'fail', error: { message: 'no', code: 'NOPE' } });
  });

  test("the type's nonRetryable predicate fails at once", () => {
    expect(decide(fence(1), 3, def, { ok: false, error: new QuotaError('quota') }).kind).toBe(
      'fail',
    );
    expect(decide(fence(1), 3, def, { ok: false, error: new Error('other') }).kind).toBe(
      'reschedule',
    );
  });

  test('an explicit nonRetryable flag (from a child process) wins', () => {
    expect(
      decide(fence(1), 3, def, { ok: false, error: new Error('x'), nonRetryable: true }).kind,
    ).toBe('fail');
    expect(
      decide(fence(1), 3, def, {
        ok: false,
        error: new NonRetryableError('x'),
        nonRetryable: false,
      }).kind,
    ).toBe('reschedule');
  });

  test('VALIDATION_FAILED and UNKNOWN_JOB_TYPE are final', () => {
    for (const code of ['VALIDATION_FAILED', 'UNKNOWN_JOB_TYPE'] as const) {
      expect(decide(fence(1), 3, def, { ok: false, error: new KilnError(code, 'x') }).kind).toBe(
        'fail',
      );
    }
    expect(decide(fence(1), 3, def, { ok: false, error: new KilnError('TIMEOUT', 'x') }).kind).toBe(
      'reschedule',
    );
  });

  test('a release (shutdown) is neither a success nor a failure', () => {
    expect(decide(fence(3), 3, def, { released: true })).toEqual({
      kind: 'release',
      fence: fence(3),
    });
  });

  test('without a definition (a reaped attempt of an unknown type) the default backoff applies', () => {
    const s = decide(fence(1), 2, undefined, { ok: false, error: new Error('x') }, () => 0);
    expect(s).toMatchObject({ kind: 'reschedule', delayMs: 1_000 });
  });
});

describe('isNonRetryable', () => {
  test('a predicate that throws counts as retryable', () => {
    const fragile = defineJob({
      type: 'fragile',
      params: z.object({}),
      retry: {
        nonRetryable: () => {
          throw new Error('predicate bug');
        },
      },
      run: () => null,
    });
    expect(isNonRetryable(new Error('x'), fragile)).toBe(false);
    expect(isNonRetryable(new NonRetryableError('x'), fragile)).toBe(true);
  });
});
