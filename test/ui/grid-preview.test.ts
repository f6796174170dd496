/**
 * The New batch preview makes the jobs the server will make: the same names and order
 * as src/core/grid.ts, params merged as src/api/batches.ts merges a template's (its
 * params, the form's, the cell's), and axis inputs typed by their fields.
 */
import { describe, expect, it } from 'vitest';
import { expandGrid } from '../../src/core/grid.ts';
import { gridSize, previewJobs, readAxes } from '../../ui/src/forms/grid-preview.ts';
import { fieldsOf } from '../../ui/src/forms/schema-fields.ts';

const fields = fieldsOf({
  type: 'object',
  properties: {
    label: { type: 'string' },
    steps: { type: 'integer', minimum: 1 },
    mode: { enum: ['a', 'b', 3] },
    flag: { type: 'boolean' },
  },
});

describe('the grid preview', () => {
  it('reads comma-separated axes typed by their fields', () => {
    const { grid, errors } = readAxes(fields, {
      label: 'x, y , z',
      steps: '1,2',
      mode: 'b, 3',
      flag: 'true',
    });
    expect(errors).toEqual({});
    expect(grid).toEqual({ label: ['x', 'y', 'z'], steps: [1, 2], mode: ['b', 3] });
    expect(gridSize(grid)).toBe(12);
    expect(readAxes(fields, { steps: '1, two' }).errors).toEqual({
      steps: '`two`: must be a number',
    });
  });

  it('names and orders the jobs as the server does, params merged the same way', () => {
    const grid = { subject: ['math', 'science history'], grade: [3, 4], extra: [{ a: 1 }] };
    const preview = previewJobs(grid, { grade: 1, paceMs: 0 }, { subject: 'none', title: 'T' })!;
    const server = expandGrid(grid);
    expect(preview.map((j) => j.name)).toEqual(server.map((c) => c.name));
    expect(preview[0]).toEqual({
      name: 'subject=math, grade=3, extra={"a":1}',
      params: { subject: 'math', title: 'T', grade: 3, paceMs: 0, extra: { a: 1 } },
    });
    expect(preview.map((j) => j.params)).toEqual(
      server.map((c) => ({ subject: 'none', title: 'T', grade: 1, paceMs: 0, ...c.values })),
    );
  });

  it('no axis: one job with an empty name; over the limit: null', () => {
    expect(previewJobs({}, { a: 1 })).toEqual([{ name: '', params: { a: 1 } }]);
    const big = {
      a: Array.from({ length: 1000 }, (_, i) => i),
      b: Array.from({ length: 101 }, (_, i) => i),
    };
    expect(previewJobs(big, {})).toBeNull();
  });
});
