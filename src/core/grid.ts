import { KilnError } from './errors.ts';

/** A grid: each key lists the values it takes; the batch gets one job per combination. */
export type Grid = Record<string, readonly unknown[]>;

export interface GridCell {
  /** The combination's values, merged over the template's params. */
  values: Record<string, unknown>;
  /** A readable name, e.g. "subject=math, grade=3". */
  name: string;
}

/** Most jobs one grid may expand to; a typo in a grid should not create a million jobs. */
export const MAX_GRID_CELLS = 100_000;

/** Cartesian product in key order, the last key varying fastest. */
export function expandGrid(grid: Grid): GridCell[] {
  const keys = Object.keys(grid);
  let total = 1;
  for (const key of keys) {
    const values = grid[key];
    if (!Array.isArray(values) || values.length === 0) {
      throw new KilnError('INVALID_ARGUMENT', `grid axis \`${key}\` must be a non-empty array`);
    }
    total *= values.length;
  }
  if (total > MAX_GRID_CELLS) {
    throw new KilnError(
      'INVALID_ARGUMENT',
      `grid expands to ${total} jobs; the limit is ${MAX_GRID_CELLS}`,
    );
  }
  if (keys.length === 0) return [{ values: {}, name: '' }];
  const cells: GridCell[] = [];
  const index = new Array<number>(keys.length).fill(0);
  for (let n = 0; n < total; n++) {
    const values: Record<string, unknown> = {};
    for (let k = 0; k < keys.length; k++) values[keys[k]!] = grid[keys[k]!]![index[k]!];
    cells.push({ values, name: keys.map((k) => `${k}=${formatValue(values[k])}`).join(', ') });
    for (let k = keys.length - 1; k >= 0; k--) {
      index[k]!++;
      if (index[k]! < grid[keys[k]!]!.length) break;
      index[k] = 0;
    }
  }
  return cells;
}

function formatValue(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
