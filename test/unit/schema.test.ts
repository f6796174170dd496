import type { StandardSchemaV1 } from '@standard-schema/spec';
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { KilnError } from '../../src/core/errors.ts';
import { validateParams as validateNow } from '../../src/core/schema.ts';
import { rejection } from '../support/library.ts';

/** Sync validators answer synchronously (and throw); the tests read both ways as a promise. */
const validateParams = async (...args: Parameters<typeof validateNow>) => validateNow(...args);

test('a synchronous validator validates synchronously: no promise per job in bulk enqueues', () => {
  const schema = z.object({ n: z.number() });
  expect(validateNow(schema, 't', { n: 1 })).toEqual({ n: 1 });
  expect(() => validateNow(schema, 't', { n: 'x' })).toThrow(KilnError);
});

/**
 * A Standard Schema written by hand, without any validation library: Kiln must depend
 * on the spec only. Accepts `{ n: integer }` and doubles n in its output.
 */
function handWritten(async = false): StandardSchemaV1<{ n: number }, { n: number }> {
  const validate = (value: unknown): StandardSchemaV1.Result<{ n: number }> => {
    if (typeof value !== 'object' || value === null)
      return { issues: [{ message: 'not an object' }] };
    const n = (value as { n?: unknown }).n;
    if (typeof n !== 'number' || !Number.isInteger(n))
      return { issues: [{ message: 'n must be an integer', path: [{ key: 'n' }] }] };
    return { value: { n: n * 2 } };
  };
  return {
    '~standard': {
      version: 1,
      vendor: 'hand-written',
      validate: async ? (v) => Promise.resolve(validate(v)) : validate,
    },
  };
}

describe('validateParams with zod', () => {
  const schema = z.object({
    subject: z.string().min(1),
    grade: z.number().int().min(1).max(12),
    tags: z.array(z.string()).default([]),
    nested: z.object({ depth: z.number() }).optional(),
  });

  test('returns the parsed output, defaults applied', async () => {
    const out = await validateParams(schema, 'curriculum', { subject: 'math', grade: 3 });
    expect(out).toEqual({ subject: 'math', grade: 3, tags: [] });
  });

  test('lists every issue with its path', async () => {
    const error = await rejection(
      validateParams(schema, 'curriculum', {
        subject: '',
        grade: 13,
        tags: ['ok', 7],
        nested: { depth: 'deep' },
      }),
    );
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.status).toBe(400);
    expect(error.message).toContain('curriculum');
    const issues = (error.details as { issues: { path: string; message: string }[] }).issues;
    expect(issues.map((i) => i.path).sort()).toEqual([
      'grade',
      'nested.depth',
      'subject',
      'tags.1',
    ]);
    for (const i of issues) expect(i.message.length).toBeGreaterThan(0);
    expect(error.message).toContain('tags.1: ');
  });

  test('a root-level issue has an empty path', async () => {
    const error = await rejection(validateParams(schema, 'curriculum', 'not an object'));
    const issues = (error.details as { issues: { path: string }[] }).issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('');
  });
});

describe('validateParams with a hand-written Standard Schema (vendor neutral)', () => {
  test.each([false, true])('async=%s: valid input returns the schema output', async (async) => {
    expect(await validateParams(handWritten(async), 't', { n: 21 })).toEqual({ n: 42 });
  });

  test.each([false, true])('async=%s: issues become VALIDATION_FAILED', async (async) => {
    const error = await rejection(validateParams(handWritten(async), 'my-type', { n: 1.5 }));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details).toEqual({ issues: [{ path: 'n', message: 'n must be an integer' }] });
    expect(error.message).toBe('invalid params for job type `my-type`: n: n must be an integer');
  });

  test('path segments may be plain keys or { key } objects, numbers included', async () => {
    const schema: StandardSchemaV1 = {
      '~standard': {
        version: 1,
        vendor: 'x',
        validate: () => ({ issues: [{ message: 'bad', path: ['a', { key: 0 }, 'b'] }] }),
      },
    };
    const error = await rejection(validateParams(schema, 't', {}));
    expect(error.details).toEqual({ issues: [{ path: 'a.0.b', message: 'bad' }] });
  });
});
