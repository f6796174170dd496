/**
 * `kiln copy` between SQLite and PostgreSQL, both ways: everything reads back the same
 * through the public API, the target's feed shows every copied job from the start and
 * later changes after them, and a worker on the target carries on (pending jobs run, a
 * dead worker's job is retried, new jobs and logs get fresh ids). Refusals (running
 * jobs, a non-empty target), an interrupted copy, a source that changes during the
 * copy, and the command itself as a child process.
 */
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterEach, expect, test } from 'vitest';
import { type CopyProgress, copyStore, type Job, Kiln, KilnError } from '../../src/index.ts';
import { PG_LATEST_VERSION } from '../../src/store/postgres/migrations.ts';
import {
  allJobIds,
  expectFeedAndWork,
  expectSameContents,
  fillStore,
  orphan,
  recordJob,
} from '../support/copy-fixture.ts';
import { type Finished, runNode, waitFor } from '../support/helpers.ts';
import { rejection } from '../support/library.ts';
import { newTestStore, type StoreKind, TEST_PG_URL, type TestStore } from '../support/stores.ts';

const cleanups: ((failed: boolean) => Promise<void> | void)[] = [];
afterEach(async (context) => {
  const failed = context.task.result?.state === 'fail';
  for (const c of cleanups.splice(0).reverse()) await c(failed);
});

function store(kind: StoreKind): TestStore {
  const s = newTestStore(kind);
  cleanups.push((failed) => s.cleanup(failed));
  return s;
}

async function open(url: string): Promise<Kiln> {
  const kiln = await Kiln.open({ store: url, jobs: [recordJob] });
  cleanups.push(() => kiln.close());
  return kiln;
}

const DIRECTIONS: [StoreKind, StoreKind][] = [
  ['sqlite', 'postgres'],
  ['postgres', 'sqlite'],
];

test.each(DIRECTIONS)(
  'a %s store copied to %s reads back the same, its feed shows every job, and a worker there carries on',
  async (fromKind, toKind) => {
    const from = store(fromKind);
    const to = store(toKind);
    const fixture = await fillStore(from.url);
    const progress: CopyProgress[] = [];
    // Small chunks, so that every phase takes several transactions.
    const result = await copyStore(from.url, to.url, {
      chunkSize: 4,
      chunkBytes: 50_000,
      onProgress: (p) => {
        progress.push(p);
      },
    });
    expect(result.sourceChanged).toBe(false);
    expect(result.copied).toMatchObject({ jobs: fixture.jobs.length, batches: 4, templates: 2 });
    const n = fixture.jobs.length;
    const steps = progress.filter((p) => p.phase === 'jobs').map((p) => p.done);
    expect(steps).toEqual([
      0,
      ...Array.from({ length: Math.ceil(n / 4) }, (_, i) => Math.min(n, 4 * (i + 1))),
    ]);
    const artifactSteps = progress.filter((p) => p.phase === 'artifacts');
    expect(artifactSteps.at(-1)).toMatchObject({
      done: result.copied.artifacts,
      bytes: result.copied.artifactBytes,
    });
    expect(artifactSteps.length).toBeGreaterThan(2);

    const source = await open(from.url);
    const target = await open(to.url);
    await expectSameContents(source, target, fixture);

    await expectFeedAndWork(target, fixture);
  },
);

test.each(DIRECTIONS)(
  'a %s store is not copied to %s while a worker holds a lease; once it has expired, it is',
  async (fromKind, toKind) => {
    const from = store(fromKind);
    const to = store(toKind);
    const kiln = await open(from.url);
    await kiln.enqueue(recordJob, { n: 1 });
    const running = await orphan(kiln, 2, false);
    const error = await rejection(copyStore(from.url, to.url));
    expect(error.code).toBe('JOBS_RUNNING');
    expect(error.message).toContain('1 running job');
    const target = await open(to.url);
    expect(await allJobIds(target)).toEqual([]);
    expect(await target.templates.list()).toEqual([]);

    expect(await kiln.store.expireLeases('gone-2')).toBe(1);
    const result = await copyStore(from.url, to.url);
    expect(result.copied.jobs).toBe(2);
    expect((await target.jobs.get(running))?.state).toBe('running');
  },
);

test('an interrupted copy leaves a target that a re-run refuses until it is emptied', async () => {
  const from = store('sqlite');
  const to = store('postgres');
  const fixture = await fillStore(from.url);
  const failing = copyStore(from.url, to.url, {
    chunkSize: 5,
    onProgress: (p) => {
      if (p.phase === 'jobs' && p.done >= 10) throw new Error('the network went away');
    },
  });
  await expect(failing).rejects.toThrow('the network went away');
  const target = await open(to.url);
  expect(await allJobIds(target)).toHaveLength(10);

  const again = await rejection(copyStore(from.url, to.url));
  expect(again.code).toBe('STORE_NOT_EMPTY');
  expect(again.message).toContain(
    `already holds 10 jobs and 4 batches; kiln copy writes only into an empty store`,
  );
  expect(again.message).toContain(`DROP SCHEMA "${to.path}" CASCADE`);
  expect(await allJobIds(target)).toHaveLength(10);

  await target.close();
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  await client.connect();
  await client.query(`DROP SCHEMA "${to.path}" CASCADE`);
  await client.end();
  await copyStore(from.url, to.url);
  await expectSameContents(await open(from.url), await open(to.url), fixture);
});

test.each(DIRECTIONS)(
  'a copy from %s to %s says when the source changed after its snapshot, and holds the snapshot',
  async (fromKind, toKind) => {
    const from = store(fromKind);
    const to = store(toKind);
    const producer = await open(from.url);
    await producer.enqueueMany(
      Array.from({ length: 6 }, (_, n) => ({ job: recordJob, params: { n } })),
    );
    let late: Job | undefined;
    const result = await copyStore(from.url, to.url, {
      chunkSize: 2,
      onProgress: async (p) => {
        if (p.phase === 'jobs' && p.done === 2 && !late)
          late = await producer.enqueue(recordJob, { n: 99 });
      },
    });
    await waitFor(() => late);
    expect(result.sourceChanged).toBe(true);
    expect(result.copied.jobs).toBe(6);
    const target = await open(to.url);
    expect(await allJobIds(target)).toHaveLength(6);
    expect(await target.jobs.get(late!.id)).toBeNull();

    // Without a change, the same copy says so.
    const quiet = store(toKind);
    expect((await copyStore(from.url, quiet.url)).sourceChanged).toBe(false);
  },
);

const BIN = fileURLToPath(new URL('../../bin/kiln.ts', import.meta.url));

function kiln(args: string[]): Promise<Finished> {
  const run = runNode([BIN, ...args]);
  cleanups.push(run.kill);
  return run.done;
}

test('kiln copy, the command: SQLite to PostgreSQL with progress on stderr; a second run is refused', async () => {
  const from = store('sqlite');
  const to = store('postgres');
  const fixture = await fillStore(from.url);

  const first = await kiln(['copy', from.url, to.url]);
  expect(first.stderr).not.toContain('kiln:');
  expect(first.code).toBe(0);
  expect(first.stdout).toMatch(
    new RegExp(
      `^copied 2 templates, 4 batches, ${fixture.jobs.length} jobs, \\d+ log lines and \\d+ artifacts \\(.+\\) in [\\d.]+ s\\n$`,
    ),
  );
  expect(first.stderr).toContain(`kiln copy: ${from.url} -> ${to.url}`);
  // Piped, each phase ends with a line of its final figures.
  for (const phase of ['templates', 'batches', 'jobs', 'logs', 'artifacts']) {
    expect(first.stderr).toMatch(new RegExp(`^  ${phase} +\\d+/\\d+  100%`, 'm'));
  }
  await expectSameContents(await open(from.url), await open(to.url), fixture);

  const migrated = await kiln(['migrate', '--store', to.url]);
  expect(migrated).toMatchObject({
    code: 0,
    stdout: `${to.url}: schema version ${PG_LATEST_VERSION} (up to date)\n`,
  });

  const second = await kiln(['copy', from.url, to.url]);
  expect(second.code).toBe(1);
  expect(second.stderr).toContain(`already holds ${fixture.jobs.length} jobs and 4 batches`);
  expect(second.stderr).not.toContain('--help');
});

test('a PostgreSQL URL with a password is printed without it, and an unknown schema is no source', async () => {
  const to = store('sqlite');
  const url = new URL(TEST_PG_URL);
  url.password = 'secret-word';
  url.searchParams.set('schema', `kiln_t_absent_${process.pid}`);
  const result = await kiln(['copy', url.toString(), to.url]);
  cleanups.push(async () => {
    const client = new pg.Client({ connectionString: TEST_PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "kiln_t_absent_${process.pid}" CASCADE`);
    await client.end();
  });
  expect(result.stderr).not.toContain('secret-word');
  expect(result.stderr).toContain('***');
  expect(result.stderr).toContain('held no Kiln store');
  expect(result.code).toBe(2);
});

test('copyStore refuses what it cannot do, before writing anything', async () => {
  const to = store('postgres');
  expect((await rejection(copyStore(to.url, to.url))).code).toBe('INVALID_ARGUMENT');
  const error = await rejection(copyStore('sqlite:/nonexistent/kiln.db', to.url, { chunkSize: 0 }));
  expect(error).toBeInstanceOf(KilnError);
  expect(error.code).toBe('INVALID_ARGUMENT');
});

test('a NUL in the text of an older SQLite database is copied to PostgreSQL as U+FFFD', async () => {
  const from = store('sqlite');
  const to = store('postgres');
  const kiln = await open(from.url);
  const job = await kiln.enqueue(recordJob, { n: 1 }, { name: 'named' });
  // As a SQLite database written before NUL was refused (names, keys) or replaced (a
  // handler's messages) holds them.
  const db = new DatabaseSync(from.path, { timeout: 5_000 });
  db.prepare(
    "UPDATE jobs SET name = 'a' || char(0) || 'b', idempotency_key = 'k' || char(0), progress_message = 'm' || char(0) WHERE id = ?",
  ).run(job.id);
  db.prepare(
    "INSERT INTO job_logs (job_id, attempt, at_ms, level, message, fields) VALUES (?, 1, 1, 'info', 'log' || char(0), NULL)",
  ).run(job.id);
  db.close();
  const stored = (await kiln.jobs.get(job.id))!;
  expect(stored.name).toBe('a\u0000b');
  await kiln.close();
  const result = await copyStore(from.url, to.url);
  expect(result.copied.jobs).toBe(1);
  const copied = await open(to.url);
  expect(await copied.jobs.get(job.id)).toMatchObject({
    name: 'a\uFFFDb',
    idempotencyKey: 'k\uFFFD',
    progressMessage: 'm\uFFFD',
    params: stored.params,
  });
  expect((await copied.jobs.logs(job.id)).map((l) => l.message)).toEqual(['log\uFFFD']);
});
