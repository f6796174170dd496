import { expect, test } from 'vitest';
import { ChangedRows } from '../../src/store/sqlite/change-log.ts';

test('changed rows become sorted, merged runs: duplicates, neighbours and inserted runs', () => {
  const c = new ChangedRows();
  expect(c.empty).toBe(true);
  for (const r of [9, 3, 4, 4, 12, 2, 30]) c.add(r);
  c.addRun(5, 7); // touches 4 below: one run 2..7
  c.addRun(10, 11); // between 9 and 12: one run 9..12
  c.addRun(20, 19); // empty: ignored
  expect(c.empty).toBe(false);
  expect(c.toRuns()).toEqual([
    [2, 7],
    [9, 12],
    [30, 30],
  ]);
});

test('an inserted run alone, and single rows alone', () => {
  const runs = new ChangedRows();
  runs.addRun(100, 199);
  expect(runs.toRuns()).toEqual([[100, 199]]);
  const rows = new ChangedRows();
  rows.add(5);
  rows.add(1);
  expect(rows.toRuns()).toEqual([
    [1, 1],
    [5, 5],
  ]);
});
