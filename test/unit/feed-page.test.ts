/** A feed page never ends inside a seq group (rows.cutAtGroup), on either store. */
import { expect, test } from 'vitest';
import { cutAtGroup, JOB_COLUMN_NAMES, type JobRow, jobRowSeq } from '../../src/store/rows.ts';

const SEQ = JOB_COLUMN_NAMES.indexOf('updated_seq');
const row = (seq: number): JobRow => {
  const r: unknown[] = new Array(JOB_COLUMN_NAMES.length).fill(null);
  r[SEQ] = seq;
  return r;
};
const seqs = (rows: JobRow[]) => rows.map(jobRowSeq);

test('a page that is not full is complete as it is', () => {
  const page = cutAtGroup([row(1), row(2), row(2)], 4);
  expect(seqs(page.rows)).toEqual([1, 2, 2]);
  expect(page).toMatchObject({ upToSeq: null, wholeGroup: null });
});

test('a full page drops its last group, which may go on beyond it', () => {
  const page = cutAtGroup([row(1), row(2), row(3), row(3)], 4);
  expect(seqs(page.rows)).toEqual([1, 2]);
  expect(page).toMatchObject({ upToSeq: 2, wholeGroup: null });
});

test('a full page of one group is a group larger than a page: read it whole', () => {
  const page = cutAtGroup([row(5), row(5), row(5)], 3);
  expect(page).toEqual({ rows: [], upToSeq: 5, wholeGroup: 5 });
});
