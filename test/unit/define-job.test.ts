import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { DEFAULT_BACKOFF } from '../../src/core/backoff.ts';
import {
  DEFAULT_ATTEMPTS,
  DEFAULT_RETENTION_MS,
  defineJob,
  defineTemplate,
  isJobDefinition,
} from '../../src/core/define-job.ts';
import { KilnError } from '../../src/core/errors.ts';

const params = z.object({ n: z.number() });
const run = () => 1;

function refusal(options: unknown): KilnError {
  try {
    defineJob(options as Parameters<typeof defineJob>[0]);
  } catch (error) {
    if (error instanceof KilnError) return error;
    throw error;
  }
  throw new Error('expected defineJob to refuse');
}

describe('defineJob', () => {
  test('fills in defaults and freezes the definition', () => {
    const def = defineJob({ type: 'plain', params, run });
    expect(def).toMatchObject({
      kind: 'kiln.job',
      type: 'plain',
      maxAttempts: DEFAULT_ATTEMPTS,
      backoff: DEFAULT_BACKOFF,
      retentionMs: DEFAULT_RETENTION_MS,
      isolation: 'inline',
      concurrency: undefined,
      timeoutMs: undefined,
    });
    expect(DEFAULT_ATTEMPTS).toBe(3);
    expect(DEFAULT_RETENTION_MS).toBe(86_400_000);
    expect(Object.isFrozen(def)).toBe(true);
    expect(isJobDefinition(def)).toBe(true);
    expect(isJobDefinition({ type: 'plain' })).toBe(false);
    expect(isJobDefinition(null)).toBe(false);
  });

  test('merges a partial backoff over the default', () => {
    const def = defineJob({
      type: 'b',
      params,
      run,
      retry: { attempts: 5, backoff: { baseMs: 10 } },
    });
    expect(def.maxAttempts).toBe(5);
    expect(def.backoff).toEqual({ ...DEFAULT_BACKOFF, baseMs: 10 });
  });

  test('an unknown option is refused with a suggestion', () => {
    const error = refusal({ type: 't', params, run, concurency: 2 });
    expect(error.code).toBe('UNKNOWN_OPTION');
    expect(error.message).toContain('did you mean `concurrency`');
  });

  test('an unknown retry option is refused with a suggestion', () => {
    const error = refusal({ type: 't', params, run, retry: { attempt: 2 } });
    expect(error.code).toBe('UNKNOWN_OPTION');
    expect(error.message).toContain('did you mean `attempts`');
  });

  test.each([
    ['', 'empty type'],
    ['1abc', 'starts with a digit'],
    ['has space', 'a space'],
    ['a/b', 'a slash'],
    ['x'.repeat(65), 'too long'],
  ])('type %j is refused (%s)', (type) => {
    expect(refusal({ type, params, run }).code).toBe('INVALID_ARGUMENT');
  });

  test('type names may use letters, digits, _ . : -', () => {
    expect(defineJob({ type: 'a1_b.c:d-e', params, run }).type).toBe('a1_b.c:d-e');
  });

  test('params must be a Standard Schema', () => {
    expect(refusal({ type: 't', params: { n: 'number' }, run }).message).toContain(
      'Standard Schema',
    );
    expect(refusal({ type: 't', run }).code).toBe('INVALID_ARGUMENT');
  });

  test('run must be a function', () => {
    expect(refusal({ type: 't', params, run: 'go' }).message).toContain('run must be a function');
  });

  test.each([
    ['retry.attempts', { retry: { attempts: 0 } }],
    ['retry.attempts', { retry: { attempts: 1.5 } }],
    ['concurrency', { concurrency: 0 }],
    ['concurrency', { concurrency: -2 }],
    ['timeoutMs', { timeoutMs: 0 }],
    ['timeoutMs', { timeoutMs: Number.NaN }],
    ['heartbeatTimeoutMs', { heartbeatTimeoutMs: 2.5 }],
    ['retentionMs', { retentionMs: -1 }],
  ])('%s out of range is refused', (name, extra) => {
    const error = refusal({ type: 't', params, run, ...extra });
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain(name);
  });

  test('retentionMs 0 (delete at once) is allowed', () => {
    expect(defineJob({ type: 't', params, run, retentionMs: 0 }).retentionMs).toBe(0);
  });

  test("isolation is 'inline' or 'process', and 'process' needs the module", () => {
    expect(refusal({ type: 't', params, run, isolation: 'thread' }).message).toContain('isolation');
    expect(refusal({ type: 't', params, run, isolation: 'process' }).message).toContain(
      'import.meta.url',
    );
    const def = defineJob({
      type: 't',
      params,
      run,
      isolation: 'process',
      module: import.meta.url,
    });
    expect(def.isolation).toBe('process');
    expect(def.module).toBe(import.meta.url);
  });
});

describe('defineTemplate', () => {
  test('takes a job type by name or by definition', () => {
    const def = defineJob({ type: 'curriculum', params, run });
    const t = defineTemplate({ name: 'grid', type: def, grid: { n: [1, 2] } });
    expect(t).toEqual({
      kind: 'kiln.template',
      name: 'grid',
      type: 'curriculum',
      description: null,
      params: {},
      grid: { n: [1, 2] },
    });
    expect(defineTemplate({ name: 'x', type: 'curriculum' }).type).toBe('curriculum');
  });

  test('refuses unknown options', () => {
    expect(() =>
      defineTemplate({ name: 'x', type: 't', gird: {} } as Parameters<typeof defineTemplate>[0]),
    ).toThrow(/did you mean `grid`/);
  });
});
