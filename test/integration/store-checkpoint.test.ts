/**
 * An idle worker copies the WAL back into the database file (SqliteStore.idle), so no
 * enqueue or turn pays for a large auto-checkpoint inside its commit.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { expect, test } from 'vitest';
import { waitFor } from '../support/helpers.ts';
import { useKiln } from '../support/library.ts';
import { testJob, testJobs } from '../support/test-jobs.ts';

const openKiln = useKiln();

/** Completed jobs in the database file alone, as if its WAL were lost. */
function completedInMainFile(dir: string): number {
  const copy = join(dir, 'main-only.db');
  copyFileSync(join(dir, 'kiln.db'), copy);
  const db = new DatabaseSync(copy, { readOnly: true });
  try {
    // Before any checkpoint, even the schema is only in the WAL.
    if (db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'jobs'").all().length === 0) return 0;
    return Number(db.prepare("SELECT count(*) AS n FROM jobs WHERE state = 'completed'").get()!.n);
  } finally {
    db.close();
  }
}

test('after its work, an idle worker checkpoints: the database file holds the results', async () => {
  const { kiln, work, dir } = await openKiln({ jobs: testJobs });
  await kiln.enqueueMany(
    Array.from({ length: 20 }, (_, i) => ({ job: testJob, params: { value: i } })),
  );
  expect(completedInMainFile(dir)).toBe(0);
  work({ idlePollMs: 50 });
  await waitFor(() => completedInMainFile(dir) === 20, {
    what: 'the completions to reach the database file',
  });
});
