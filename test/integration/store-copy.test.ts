/**
 * `kiln copy` from SQLite to SQLite (test/postgres/copy.test.ts does SQLite and
 * PostgreSQL both ways), and `kiln migrate`: the copy's change log, what it does to a
 * target's templates, its refusals, and both commands as child processes.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, test } from 'vitest';
import { copyStore, Kiln } from '../../src/index.ts';
import {
  allJobIds,
  expectFeedAndWork,
  expectSameContents,
  fillStore,
  gridTemplate,
  recordJob,
} from '../support/copy-fixture.ts';
import { type Finished, runNode } from '../support/helpers.ts';
import { FAST_WORKER, rejection, waitForJob } from '../support/library.ts';
import { newTestStore, type TestStore } from '../support/stores.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function store(): TestStore {
  const s = newTestStore('sqlite');
  cleanups.push(() => s.cleanup());
  return s;
}

async function open(url: string, options: Parameters<typeof Kiln.open>[0] = {}): Promise<Kiln> {
  const kiln = await Kiln.open({ store: url, jobs: [recordJob], ...options });
  cleanups.push(() => kiln.close());
  return kiln;
}

test('a SQLite store copied to another reads back the same, with a change-log entry for every job', async () => {
  const from = store();
  const to = store();
  const fixture = await fillStore(from.url);
  const result = await copyStore(from.url, to.url, { chunkSize: 3, chunkBytes: 1_000 });
  expect(result).toMatchObject({ sourceChanged: false, copied: { jobs: fixture.jobs.length } });
  // The unfiltered feed finds job rows only through job_changes (src/store/sqlite/change-log.ts).
  const unlogged = await to.query<{ n: number }>(
    `SELECT count(*) AS n FROM jobs j WHERE NOT EXISTS (SELECT 1 FROM job_changes c
       WHERE j.rid BETWEEN c.first_rid AND c.last_rid AND c.seq = j.updated_seq)`,
  );
  expect(unlogged).toEqual([{ n: 0 }]);
  // One feed position per chunk of jobs (and of batches): no page holds the whole store.
  const positions = await to.query<{ seq: number; n: number }>(
    'SELECT updated_seq AS seq, count(*) AS n FROM jobs GROUP BY updated_seq',
  );
  expect(positions).toHaveLength(Math.ceil(fixture.jobs.length / 3));
  expect(Math.max(...positions.map((p) => p.n))).toBe(3);

  const target = await open(to.url);
  await expectSameContents(await open(from.url), target, fixture);
  await expectFeedAndWork(target, fixture);
});

test("the target's templates stay, those of the same name are replaced; a target with a job is refused", async () => {
  const from = store();
  const to = store();
  const source = await open(from.url, { templates: [gridTemplate] });
  await source.enqueue(recordJob, { n: 1 });
  const target = await open(to.url);
  await target.templates.save({ name: 'record-grid', type: 'record', params: { n: 5 } });
  await target.templates.save({ name: 'own', type: 'record', params: { n: 6 } });
  await copyStore(from.url, to.url);
  const templates = await target.templates.list();
  expect(templates.map((t) => [t.name, t.params])).toEqual([
    ['own', { n: 6 }],
    ['record-grid', { bytes: 3 }],
  ]);
  expect(templates[1]).toEqual(await source.templates.get('record-grid'));

  const again = store();
  const other = await open(again.url);
  const kept = await other.enqueue(recordJob, { n: 2 });
  const error = await rejection(copyStore(from.url, again.url));
  expect(error.code).toBe('STORE_NOT_EMPTY');
  expect(error.message).toContain('already holds 1 job and 0 batches');
  expect(error.message).toContain('delete the database file');
  expect(await allJobIds(other)).toEqual([kept.id]);
  expect(await other.templates.list()).toEqual([]);
});

test('a copy whose source lost an artifact file fails and says which', async () => {
  const from = store();
  const to = store();
  const source = await open(from.url);
  const job = await source.enqueue(recordJob, { n: 1, bytes: 100 });
  const worker = source.work(FAST_WORKER);
  await waitForJob(source, job.id, 'completed');
  await worker.stop();
  rmSync(join(source.artifacts.path(job.id)!, 'data.bin'));
  await expect(copyStore(from.url, to.url)).rejects.toThrow(
    `cannot read artifacts ${job.id}/data.bin, ${job.id}/note.txt from the source`,
  );
});

const BIN = fileURLToPath(new URL('../../bin/kiln.ts', import.meta.url));

function kiln(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Finished> {
  const run = runNode([BIN, ...args], env);
  cleanups.push(run.kill);
  return run.done;
}

test('kiln migrate creates or upgrades a store, says its version, and refuses a newer one', async () => {
  const s = store();
  const first = await kiln(['migrate', '--store', s.url]);
  expect(first).toMatchObject({
    code: 0,
    stdout: `${s.url}: schema version 7 (applied 1, 2, 3, 4, 5, 6, 7)\n`,
  });
  const second = await kiln(['migrate'], { KILN_STORE: s.url });
  expect(second).toMatchObject({ code: 0, stdout: `${s.url}: schema version 7 (up to date)\n` });

  const db = new DatabaseSync(s.path);
  db.exec(`INSERT INTO kiln_migrations VALUES (9, 'from the future', 0)`);
  db.close();
  const newer = await kiln(['migrate', '--store', s.url]);
  expect(newer.code).toBe(1);
  expect(newer.stderr).toContain('schema version 9, newer than this Kiln knows (7)');

  const wrong = await kiln(['migrate', '--stor', s.url]);
  expect(wrong.code).toBe(2);
  expect(wrong.stderr).toContain('did you mean --store?');
});

test('kiln copy: SQLite to SQLite as a command, and its usage errors', async () => {
  const from = store();
  const to = store();
  const source = await open(from.url);
  await source.enqueueMany([1, 2, 3].map((n) => ({ job: recordJob, params: { n } })));
  const copied = await kiln(['copy', from.url, to.url]);
  expect(copied.stderr).not.toContain('kiln:');
  expect(copied).toMatchObject({ code: 0 });
  expect(copied.stdout).toMatch(/^copied 0 templates, 0 batches, 3 jobs, 0 log lines/);
  expect((await allJobIds(await open(to.url))).sort()).toEqual((await allJobIds(source)).sort());

  const help = await kiln(['copy', '--help']);
  expect(help).toMatchObject({ code: 0 });
  expect(help.stdout).toContain('Usage: kiln copy <from> <to>');
  const top = await kiln(['--help']);
  expect(top.stdout).toMatch(/migrate .*\n {2}copy /);

  for (const [args, message] of [
    [['copy', from.url], 'takes two store URLs'],
    [['copy', `${from.path}-absent`, to.url], 'is not one Kiln can open'],
    [['copy', `sqlite:${from.path}-absent`, to.url], 'there is no SQLite database'],
    [['copy', from.url, `sqlite:${from.path}`], 'the same store'],
    [['copy', '--chunk', '5', from.url, to.url], 'unknown option --chunk'],
  ] as const) {
    const r = await kiln([...args]);
    expect(r.stderr).toContain(message);
    expect(r.code).toBe(2);
  }
});
