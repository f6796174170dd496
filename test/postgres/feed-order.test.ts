/**
 * Guarantee 7 on PostgreSQL: no committed change is skipped, even when transactions
 * commit in the opposite order of their feed positions. A position is the writing
 * transaction's id (src/store/postgres/sql.ts), and ids are handed out when a
 * transaction first writes, not when it commits. Here two raw transactions stamp rows
 * the way Kiln's do: the older one (lower id) commits last. A reader that went by
 * positions alone would read the younger change, move past it, and never see the
 * older one.
 */
import { expect, test } from 'vitest';
import type { ChangeEvent } from '../../src/index.ts';
import { TX_SEQ } from '../../src/store/postgres/sql.ts';
import { waitFor } from '../support/helpers.ts';
import { collectEvents, useKiln } from '../support/library.ts';
import { useSchemaClients } from '../support/pg-clients.ts';
import { testJob, testJobs } from '../support/test-jobs.ts';

const open = useKiln();
const connect = useSchemaClients();

const progressOf = (events: ChangeEvent[], id: string): number[] =>
  events.flatMap((e) => (e.kind === 'job' && e.job.id === id ? [e.job.progress] : []));

test('a transaction that commits after a younger one is still read, by the feed and by watch()', async () => {
  const t = await open({ jobs: testJobs });
  expect(t.kind).toBe('postgres');
  const schema = new URL(t.url).searchParams.get('schema')!;
  const [a, b] = await t.kiln.enqueueMany([
    { job: testJob, params: { value: 1 } },
    { job: testJob, params: { value: 2 } },
  ]);
  const from = await t.kiln.store.currentSeq();
  // A follower from here, all along: it must end up seeing both changes.
  const watching = collectEvents(
    t.kiln,
    { from },
    (events) => progressOf(events, a!.id).includes(0.25) && progressOf(events, b!.id).includes(0.5),
  );

  const older = await connect(schema);
  const younger = await connect(schema);
  await older.query('BEGIN');
  const [olderSeq] = (
    await older.query<{ seq: string }>(
      `UPDATE jobs SET progress = 0.25, updated_seq = ${TX_SEQ} WHERE id = $1 RETURNING updated_seq AS seq`,
      [a!.id],
    )
  ).rows;
  await younger.query('BEGIN');
  const [youngerSeq] = (
    await younger.query<{ seq: string }>(
      `UPDATE jobs SET progress = 0.5, updated_seq = ${TX_SEQ} WHERE id = $1 RETURNING updated_seq AS seq`,
      [b!.id],
    )
  ).rows;
  expect(Number(olderSeq!.seq)).toBeLessThan(Number(youngerSeq!.seq));
  await younger.query(`NOTIFY "kiln_${schema}"; COMMIT`);

  // The younger change is committed, the older not yet. Read now, and move the cursor
  // past whatever this read returned, as every follower does.
  const seen = await t.kiln.store.changesSince(from, {}, 100);
  let cursor = seen.length > 0 ? seen[seen.length - 1]!.seq : from;
  await older.query(`NOTIFY "kiln_${schema}"; COMMIT`);
  // Follow on as a watcher does. Other transactions on the server (other tests) may hold
  // the horizon back for a moment: the older change may come a read or two later, but
  // it must come.
  await waitFor(
    async () => {
      const next = await t.kiln.store.changesSince(cursor, {}, 100);
      seen.push(...next);
      if (next.length > 0) cursor = next[next.length - 1]!.seq;
      return progressOf(seen, a!.id).includes(0.25) && progressOf(seen, b!.id).includes(0.5);
    },
    { what: 'both changes in the feed' },
  );
  expect(progressOf(seen, a!.id)).toContain(0.25);
  expect(progressOf(seen, b!.id)).toContain(0.5);
  // The older change comes first in the feed: positions only rise.
  const seqs = seen.map((e) => e.seq);
  expect(seqs).toEqual([...seqs].sort((x, y) => x - y));

  const watched = await watching;
  expect(progressOf(watched, a!.id)).toContain(0.25);
  expect(progressOf(watched, b!.id)).toContain(0.5);
});

test('an open transaction of another application on the server does not hold the feed back', async () => {
  const t = await open({ jobs: testJobs });
  const schema = new URL(t.url).searchParams.get('schema')!;
  // Kiln.open created the schema and its tables.
  const other = await connect(schema);
  // Another application's long transaction that has written (so it has an id, older
  // than anything Kiln writes next), in the same database.
  await other.query('CREATE TABLE other_app (n int)');
  await other.query('BEGIN');
  await other.query('INSERT INTO other_app VALUES (1)');
  const from = await t.kiln.store.currentSeq();
  const job = await t.kiln.enqueue(testJob, { value: 1 });
  const events = await collectEvents(t.kiln, { from }, (e) =>
    e.some((x) => x.kind === 'job' && x.job.id === job.id),
  );
  expect(events.some((e) => e.kind === 'job' && e.job.id === job.id)).toBe(true);
  await other.query('ROLLBACK');
});
