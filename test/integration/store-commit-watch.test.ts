/**
 * How a process hears of other processes' commits (commit-watcher.ts, commit-bell.ts):
 * only while someone listens, so a process that only enqueues or reads is not woken by
 * every commit of the workers; through the bell file each feed-changing commit rings;
 * through the WAL file where the bell cannot be made.
 */
import { mkdirSync, statSync } from 'node:fs';
import { afterEach, expect, test } from 'vitest';
import { Kiln } from '../../src/index.ts';
import { bellPath } from '../../src/store/sqlite/commit-bell.ts';
import { CommitWatcher } from '../../src/store/sqlite/commit-watcher.ts';
import { SqliteConnection } from '../../src/store/sqlite/connection.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { tempStore, waitFor } from '../support/helpers.ts';
import { testJob, testJobs } from '../support/test-jobs.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

test('the commit watcher runs while listeners are subscribed, and hears another connection', async () => {
  const t = tempStore();
  cleanups.push(t.cleanup);
  // Another connection stands in for another process: its commits reach `store` only
  // through the watcher, never as local commits.
  const writer = await Kiln.open({ store: t.url, jobs: testJobs });
  cleanups.push(() => writer.close());
  const store = new SqliteStore({ path: t.path });
  cleanups.push(() => store.close());

  expect(store.watchingCommits).toBe(false);

  let heard = 0;
  const stopFirst = store.onCommit(() => heard++);
  let heardSecond = 0;
  const stopSecond = store.onCommit(() => heardSecond++);
  expect(store.watchingCommits).toBe(true);
  await writer.enqueue(testJob, { value: 1 });
  await waitFor(() => heard > 0 && heardSecond > 0, { what: 'both listeners to hear the commit' });

  stopFirst();
  expect(store.watchingCommits).toBe(true);
  stopSecond();
  expect(store.watchingCommits).toBe(false);

  // A listener after a quiet spell hears commits made after it subscribed.
  await writer.enqueue(testJob, { value: 2 });
  let heardLater = 0;
  const stopLater = store.onCommit(() => heardLater++);
  expect(store.watchingCommits).toBe(true);
  await writer.enqueue(testJob, { value: 3 });
  await waitFor(() => heardLater > 0, { what: 'the later listener to hear a commit' });
  stopLater();

  await store.close();
  expect(store.watchingCommits).toBe(false);
  store.onCommit(() => {});
  expect(store.watchingCommits).toBe(false);
});

test('each commit that changes the feed rings the bell file, which stays one byte', async () => {
  const t = tempStore();
  cleanups.push(t.cleanup);
  const writer = await Kiln.open({ store: t.url, jobs: testJobs });
  cleanups.push(() => writer.close());
  const bell = bellPath(t.path);
  await writer.enqueue(testJob, { value: 1 });
  const first = statSync(bell);
  expect(first.size).toBe(1);
  for (let i = 0; i < 5; i++) await writer.enqueue(testJob, { value: i });
  const after = statSync(bell);
  expect(after.size).toBe(1);
  expect(after.mtimeMs).toBeGreaterThanOrEqual(first.mtimeMs);
});

/**
 * A watcher whose safety poll never fires within the test, on its own connection: any
 * notice it gives came through the file it watches.
 */
function watchWithoutPoll(path: string): { heard: () => number } {
  const connection = new SqliteConnection({ path });
  let heard = 0;
  const watcher = new CommitWatcher(connection, () => heard++, 3_600_000);
  cleanups.push(() => {
    watcher.close();
    connection.close();
  });
  return { heard: () => heard };
}

test('commits are heard through the bell alone, without the safety poll', async () => {
  const t = tempStore();
  cleanups.push(t.cleanup);
  const writer = await Kiln.open({ store: t.url, jobs: testJobs });
  cleanups.push(() => writer.close());
  const watch = watchWithoutPoll(t.path);
  await writer.enqueue(testJob, { value: 1 });
  await waitFor(() => watch.heard() > 0, { what: 'the bell to be heard' });
});

test('where the bell cannot be made, commits are heard through the WAL file, and writers go on', async () => {
  const t = tempStore();
  cleanups.push(t.cleanup);
  // A folder where the bell file would be: opening it for writing fails.
  mkdirSync(bellPath(t.path));
  const writer = await Kiln.open({ store: t.url, jobs: testJobs });
  cleanups.push(() => writer.close());
  const watch = watchWithoutPoll(t.path);
  const job = await writer.enqueue(testJob, { value: 1 });
  await waitFor(() => watch.heard() > 0, { what: 'the commit to be heard without a bell' });
  expect((await writer.jobs.get(job.id))?.state).toBe('pending');
});
