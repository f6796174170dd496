/**
 * JSON Schema to form fields and back: kinds, defaults, required, axes; raw inputs as
 * params; inline errors for every bound the server would refuse. The schema is the demo
 * curriculum type's, as GET /api/job-types serves it, plus the other kinds.
 */
import { describe, expect, it } from 'vitest';
import { curriculum } from '../../src/demo/curriculum.ts';
import { paramsJsonSchema } from '../../src/server/routes/job-types.ts';
import { ApiError, fieldIssues } from '../../ui/src/api/errors.ts';
import { fieldsOf, type JsonSchema, readForm } from '../../ui/src/forms/schema-fields.ts';

const schema: JsonSchema = {
  type: 'object',
  properties: {
    label: { type: 'string', minLength: 1, maxLength: 5 },
    steps: { type: 'integer', minimum: 1, maximum: 1000, default: 3 },
    ratio: { type: 'number', exclusiveMinimum: 0 },
    loud: { type: 'boolean', default: false },
    fail: { enum: ['never', 'first-attempt', 'always'], default: 'never' },
    tags: { type: 'array', items: { type: 'string' }, maxItems: 2 },
    slides: {
      type: 'array',
      items: { type: 'object', properties: { title: { type: 'string' } }, required: ['title'] },
    },
  },
  required: ['label', 'steps', 'slides'],
};

describe('form fields from a JSON Schema', () => {
  it('gives each property a kind, its default and whether it can be an axis', () => {
    const fields = fieldsOf(schema);
    expect(fields.map((f) => [f.key, f.kind, f.required, f.initial, f.axis])).toEqual([
      ['label', 'string', true, '', true],
      ['steps', 'integer', false, '3', true],
      ['ratio', 'number', false, '', true],
      ['loud', 'boolean', false, false, false],
      ['fail', 'enum', false, 'never', true],
      ['tags', 'string-array', false, '', false],
      ['slides', 'json', true, '', false],
    ]);
  });

  it('reads raw inputs as params', () => {
    const fields = fieldsOf(schema);
    const { params, errors } = readForm(fields, {
      label: 'abc',
      steps: '12',
      ratio: '0.5',
      loud: true,
      fail: 'first-attempt',
      tags: 'a, b',
      slides: '[{"title":"x"}]',
    });
    expect(errors).toEqual({});
    expect(params).toEqual({
      label: 'abc',
      steps: 12,
      ratio: 0.5,
      loud: true,
      fail: 'first-attempt',
      tags: ['a', 'b'],
      slides: [{ title: 'x' }],
    });
  });

  it('reports every bound inline, and leaves axes out', () => {
    const fields = fieldsOf(schema);
    const { errors } = readForm(fields, {
      label: 'too long',
      steps: '2000',
      ratio: '0',
      fail: 'sometimes',
      tags: 'a,b,c',
      slides: '[{}]',
    });
    expect(errors).toEqual({
      label: 'takes at most 5 characters',
      steps: 'must be ≤ 1000',
      ratio: 'must be > 0',
      fail: 'must be one of never, first-attempt, always',
      tags: 'takes at most 2 items',
      slides: 'item 1 needs `title`',
    });
    expect(readForm(fields, { steps: '1.5', slides: 'nope' }).errors).toMatchObject({
      label: 'is required',
      steps: 'must be integer',
      slides: 'must be valid JSON',
    });
    expect(readForm(fields, { slides: '[]' }, new Set(['label'])).errors).toEqual({});
  });

  it('reads the demo curriculum schema as the server describes it', () => {
    const described = paramsJsonSchema(curriculum) as JsonSchema;
    const fields = fieldsOf(described);
    expect(fields.map((f) => f.key)).toEqual(
      expect.arrayContaining(['subject', 'grade', 'paceMs']),
    );
    const { errors } = readForm(fields, { subject: '', grade: '13' });
    expect(errors).toMatchObject({ subject: 'is required', grade: 'must be ≤ 12' });
  });

  it("maps the server's issues onto fields by path", () => {
    const error = new ApiError(400, 'VALIDATION_FAILED', 'invalid', {
      issues: [
        { path: 'grade', message: 'too big' },
        { path: 'jobs.0.params.subject', message: 'too short' },
        { path: ['params', 'paceMs'], message: 'not a number' },
      ],
    });
    expect(fieldIssues(error)).toEqual({
      grade: 'too big',
      subject: 'too short',
      paceMs: 'not a number',
    });
    expect(fieldIssues(new Error('x'))).toEqual({});
  });
});
