/**
 * Migrations on a database that already holds work: a file made by an earlier version
 * of Kiln opens with every job, batch and position intact, and its jobs still run.
 */
import { DatabaseSync } from 'node:sqlite';
import { afterEach, expect, test } from 'vitest';
import { Kiln } from '../../src/index.ts';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.ts';
import { tempStore } from '../support/helpers.ts';
import { FAST_WORKER, waitForJob } from '../support/library.ts';
import { testJobs } from '../support/test-jobs.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A database as version 1 of the schema left it, with two jobs of one batch. */
function makeVersion1(path: string): void {
  const db = new DatabaseSync(path);
  db.exec(
    'CREATE TABLE kiln_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms INTEGER NOT NULL) STRICT',
  );
  db.exec(MIGRATIONS.find((m) => m.version === 1)!.sql);
  db.prepare('INSERT INTO kiln_migrations VALUES (1, ?, 0)').run(MIGRATIONS[0]!.name);
  db.exec(`UPDATE kiln_seq SET value = 7;
    INSERT INTO batches (id, name, created_at_ms, updated_seq) VALUES ('b1', 'old batch', 1, 7);`);
  const insert =
    db.prepare(`INSERT INTO jobs (id, type, state, params, batch_id, priority, run_at_ms,
    max_attempts, attempt_budget, retention_ms, created_at_ms, updated_seq, result, progress, finished_at_ms)
    VALUES (?, 'test', ?, ?, 'b1', 0, 1, 3, 3, 86400000, 1, ?, ?, ?, ?)`);
  insert.run('019a0000-0000-7000-8000-000000000001', 'completed', '{"value":1}', 6, '1', 1, 2);
  insert.run('019a0000-0000-7000-8000-000000000002', 'pending', '{"value":2}', 7, null, 0, null);
  db.close();
}

test('a version 1 database migrates with its jobs, and its pending job then runs', async () => {
  const store = tempStore();
  cleanups.push(store.cleanup);
  makeVersion1(store.path);

  const kiln = await Kiln.open({ store: store.url, jobs: testJobs });
  cleanups.push(() => kiln.close());
  const done = await kiln.jobs.get('019a0000-0000-7000-8000-000000000001');
  expect(done).toMatchObject({ state: 'completed', result: 1, progress: 1, batchId: 'b1' });
  const batch = await kiln.batches.get('b1');
  expect(batch).toMatchObject({ name: 'old batch', counts: { completed: 1, pending: 1 } });
  // The change feed keeps its positions: nothing is replayed, nothing skipped.
  const seen: string[] = [];
  for await (const e of kiln.watch({ from: 6 })) {
    seen.push(`${e.seq} ${e.kind === 'job' ? e.job.id : e.batch.id}`);
    if (seen.length === 2) break;
  }
  expect(seen.sort()).toEqual(['7 019a0000-0000-7000-8000-000000000002', '7 b1']);

  const worker = kiln.work(FAST_WORKER);
  cleanups.push(() => worker.stop(50));
  const ran = await waitForJob(kiln, '019a0000-0000-7000-8000-000000000002', 'completed');
  expect(ran).toMatchObject({ result: { value: 2, attempt: 1 }, attempt: 1 });

  const db = new DatabaseSync(store.path, { readOnly: true });
  cleanups.push(() => db.close());
  const versions = db.prepare('SELECT version FROM kiln_migrations ORDER BY version').all();
  expect(versions.map((v) => v.version)).toEqual(MIGRATIONS.map((m) => m.version));
});
