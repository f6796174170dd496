import { describe, expect, test } from 'vitest';
import {
  checkOptionNames,
  coerceError,
  ERROR_CATALOGUE,
  type ErrorCode,
  KilnError,
  NonRetryableError,
  suggestName,
} from '../../src/core/errors.ts';

describe('the error catalogue', () => {
  test('every code has an HTTP status and a summary', () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
      expect(entry.status, code).toBeGreaterThanOrEqual(400);
      expect(entry.status, code).toBeLessThan(600);
      expect(entry.summary.length, code).toBeGreaterThan(5);
      expect(code).toMatch(/^[A-Z_]+$/);
    }
  });

  test.each([
    ['VALIDATION_FAILED', 400],
    ['INVALID_ARGUMENT', 400],
    ['INVALID_ARTIFACT_NAME', 400],
    ['UNKNOWN_JOB_TYPE', 400],
    ['UNKNOWN_OPTION', 400],
    ['JOB_NOT_FOUND', 404],
    ['BATCH_NOT_FOUND', 404],
    ['TEMPLATE_NOT_FOUND', 404],
    ['ARTIFACT_NOT_FOUND', 404],
    ['INVALID_TRANSITION', 409],
    ['LEASE_LOST', 409],
    ['STORE_NOT_EMPTY', 409],
    ['JOBS_RUNNING', 409],
    ['SCHEMA_TOO_NEW', 409],
    ['TIMEOUT', 500],
    ['STORE_CLOSED', 503],
  ] as [ErrorCode, number][])('%s is HTTP %i', (code, status) => {
    expect(ERROR_CATALOGUE[code].status).toBe(status);
    expect(new KilnError(code, 'x').status).toBe(status);
  });
});

describe('KilnError', () => {
  test('is an Error with code, status and details', () => {
    const error = new KilnError('JOB_NOT_FOUND', 'no job 42', { id: '42' });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('KilnError');
    expect(error.code).toBe('JOB_NOT_FOUND');
    expect(error.status).toBe(404);
    expect(error.details).toEqual({ id: '42' });
    expect(error.stack).toContain('KilnError');
  });

  test('toJSON is the machine-readable body; details only when given', () => {
    expect(new KilnError('JOB_NOT_FOUND', 'no job 42', { id: '42' }).toJSON()).toEqual({
      code: 'JOB_NOT_FOUND',
      message: 'no job 42',
      details: { id: '42' },
    });
    const bare = new KilnError('STORE_CLOSED', 'closed');
    expect(bare.toJSON()).toEqual({ code: 'STORE_CLOSED', message: 'closed' });
    expect(JSON.parse(JSON.stringify(bare))).toEqual({ code: 'STORE_CLOSED', message: 'closed' });
  });
});

describe('NonRetryableError', () => {
  test('keeps a code and a cause', () => {
    const cause = new Error('root');
    const error = new NonRetryableError('refused', { code: 'REFUSED', cause });
    expect(error.name).toBe('NonRetryableError');
    expect(error.code).toBe('REFUSED');
    expect(error.cause).toBe(cause);
    expect(new NonRetryableError('plain').code).toBeUndefined();
  });
});

describe('coerceError', () => {
  test('an Error keeps message, stack and a string code', () => {
    const error = Object.assign(new Error('boom'), { code: 'E_BOOM' });
    const stored = coerceError(error);
    expect(stored.message).toBe('boom');
    expect(stored.code).toBe('E_BOOM');
    expect(stored.stack).toContain('boom');
  });

  test('a non-string code is dropped; an empty message falls back to the name', () => {
    const error = Object.assign(new TypeError(''), { code: 42 });
    const stored = coerceError(error);
    expect(stored.message).toBe('TypeError');
    expect(stored).not.toHaveProperty('code');
  });

  test('strings, objects and unserialisable values become messages', () => {
    expect(coerceError('plain')).toEqual({ message: 'plain' });
    expect(coerceError({ a: 1 })).toEqual({ message: '{"a":1}' });
    expect(coerceError(undefined)).toEqual({ message: 'undefined' });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(coerceError(cyclic)).toEqual({ message: '[object Object]' });
    expect(coerceError(10n)).toEqual({ message: '10' });
  });
});

describe('unknown option names', () => {
  const known = ['concurrency', 'leaseMs', 'renewEveryMs', 'types'];

  test('suggests the nearest known name', () => {
    expect(suggestName('concurency', known)).toBe('concurrency');
    expect(suggestName('leasems', known)).toBe('leaseMs');
    expect(suggestName('typo', known)).toBe('types');
    expect(suggestName('somethingElseEntirely', known)).toBeUndefined();
  });

  test('checkOptionNames refuses an unknown key with a did-you-mean', () => {
    let error: unknown;
    try {
      checkOptionNames('work', { concurency: 3 }, known);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KilnError);
    const k = error as KilnError;
    expect(k.code).toBe('UNKNOWN_OPTION');
    expect(k.status).toBe(400);
    expect(k.message).toBe('unknown work option `concurency`, did you mean `concurrency`?');
    expect(k.details).toEqual({ option: 'concurency', known });
  });

  test('no suggestion when nothing is close', () => {
    expect(() => checkOptionNames('work', { zzzzzzzzzzzz: 1 }, known)).toThrow(
      /^unknown work option `zzzzzzzzzzzz`$/,
    );
  });

  test('known keys pass', () => {
    expect(() => checkOptionNames('work', { concurrency: 1, types: [] }, known)).not.toThrow();
  });
});
