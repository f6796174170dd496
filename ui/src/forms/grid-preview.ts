/**
 * The grid of the form and the jobs it will create: the server's own expansion
 * (src/core/grid.ts, imported, so names and order cannot differ), with params merged
 * as the server merges them: the template's, then the form's, then the cell's.
 */
import { expandGrid, type Grid, MAX_GRID_CELLS } from '../../../src/core/grid.ts';
import { type Field, parseRaw } from './schema-fields.ts';

export interface PreviewJob {
  name: string;
  params: Record<string, unknown>;
}

export interface AxisResult {
  grid: Grid;
  errors: Record<string, string>;
}

/** Comma-separated axis inputs as a grid: values typed by their field; empty inputs are no axis. */
export function readAxes(fields: readonly Field[], raws: Record<string, string>): AxisResult {
  const grid: Record<string, unknown[]> = {};
  const errors: Record<string, string> = {};
  for (const f of fields) {
    const raw = raws[f.key]?.trim();
    if (!f.axis || !raw) continue;
    const values: unknown[] = [];
    for (const part of raw
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== '')) {
      const p = parseRaw(f, part);
      if (!p.ok) {
        errors[f.key] = `\`${part}\`: ${p.error}`;
        break;
      }
      if (!('empty' in p)) values.push(p.value);
    }
    if (values.length > 0) grid[f.key] = values;
  }
  return { grid, errors };
}

/** How many jobs a grid makes (1 with no axis). */
export function gridSize(grid: Grid): number {
  return Object.values(grid).reduce((n, v) => n * v.length, 1);
}

/** The jobs, or null when the grid is over the server's limit. */
export function previewJobs(
  grid: Grid,
  params: Record<string, unknown>,
  templateParams: Record<string, unknown> = {},
): PreviewJob[] | null {
  if (gridSize(grid) > MAX_GRID_CELLS) return null;
  return expandGrid(grid).map((cell) => ({
    name: cell.name,
    params: { ...templateParams, ...params, ...cell.values },
  }));
}

export { type Grid, MAX_GRID_CELLS };
