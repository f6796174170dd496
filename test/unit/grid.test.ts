import { describe, expect, test } from 'vitest';
import { KilnError } from '../../src/core/errors.ts';
import { expandGrid, MAX_GRID_CELLS } from '../../src/core/grid.ts';

function thrown(fn: () => unknown): KilnError {
  try {
    fn();
  } catch (error) {
    if (error instanceof KilnError) return error;
    throw error;
  }
  throw new Error('expected a KilnError');
}

describe('expandGrid', () => {
  test('is the cartesian product in key order, the last key varying fastest', () => {
    const cells = expandGrid({ subject: ['math', 'art'], grade: [1, 2, 3] });
    expect(cells.map((c) => c.values)).toEqual([
      { subject: 'math', grade: 1 },
      { subject: 'math', grade: 2 },
      { subject: 'math', grade: 3 },
      { subject: 'art', grade: 1 },
      { subject: 'art', grade: 2 },
      { subject: 'art', grade: 3 },
    ]);
  });

  test('names each cell after its values; strings bare, other values as JSON', () => {
    const cells = expandGrid({ subject: ['math'], grade: [3], opts: [{ a: 1 }], flag: [true] });
    expect(cells).toHaveLength(1);
    expect(cells[0]!.name).toBe('subject=math, grade=3, opts={"a":1}, flag=true');
  });

  test('three axes multiply', () => {
    const cells = expandGrid({ a: [1, 2], b: [1, 2, 3], c: [1, 2, 3, 4] });
    expect(cells).toHaveLength(24);
    expect(new Set(cells.map((c) => c.name)).size).toBe(24);
    expect(cells[0]!.values).toEqual({ a: 1, b: 1, c: 1 });
    expect(cells[1]!.values).toEqual({ a: 1, b: 1, c: 2 });
    expect(cells[23]!.values).toEqual({ a: 2, b: 3, c: 4 });
  });

  test('an empty grid is one cell without values', () => {
    expect(expandGrid({})).toEqual([{ values: {}, name: '' }]);
  });

  test('an empty axis is refused', () => {
    const error = thrown(() => expandGrid({ subject: ['math'], grade: [] }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('grade');
  });

  test('an axis that is not an array is refused', () => {
    const error = thrown(() => expandGrid({ grade: 3 as unknown as number[] }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('grade');
  });

  test('a grid over the limit is refused before anything is built', () => {
    const axis = Array.from({ length: 1_000 }, (_, i) => i);
    expect(MAX_GRID_CELLS).toBe(100_000);
    const error = thrown(() => expandGrid({ a: axis, b: axis }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('1000000');
    // Exactly at the limit is fine.
    expect(expandGrid({ a: axis, b: axis.slice(0, 100) })).toHaveLength(100_000);
  });
});
