/**
 * Workers and watchers go on through a restart of the database. The shared server
 * cannot be restarted under the tests running beside this one, so this test starts a
 * server of its own (support/temp-cluster.ts). Jobs run while it stops; each worker and
 * the watcher try the database while it is down (the test waits for each to report a
 * failure before starting it again); then more jobs are enqueued. Every job runs and
 * completes exactly once, and the watcher, a process following the feed from before the
 * restart, sees every completion.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { type EnqueueItem, Kiln } from '../../src/index.ts';
import { guaranteeJobs } from '../guarantees/support/jobs.ts';
import { spawnSupport, spawnWorkerProcess, teardown } from '../guarantees/support/processes.ts';
import { waitFor } from '../support/helpers.ts';
import { testJob } from '../support/test-jobs.ts';
import { startTempCluster, type TempCluster } from './support/temp-cluster.ts';

let cluster: TempCluster | undefined;
let dir: string | undefined;
afterEach(async (context) => {
  await teardown(context);
  // A failed test's server data and logs stay for a look (the server is stopped).
  const failed = context.task.result?.state === 'fail';
  await cluster?.destroy(failed);
  cluster = undefined;
  if (dir && !failed) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const BEFORE = 40;
const AFTER = 40;

/** How many times each job id appears in a "<jobId> <attempt> <pid>" log. */
function counts(file: string): Map<string, number> {
  const n = new Map<string, number>();
  if (!existsSync(file)) return n;
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const id = line.split(' ')[0]!;
    n.set(id, (n.get(id) ?? 0) + 1);
  }
  return n;
}

interface Seen {
  id?: string;
  state?: string;
  feedError?: string;
}

test('workers and a watcher go on through a restart of the database; every job completes exactly once', async () => {
  cluster = await startTempCluster();
  dir = mkdtempSync(join(tmpdir(), 'kiln-restart-'));
  const startLog = join(dir, 'start.log');
  const doneLog = join(dir, 'done.log');
  const url = `${cluster.url}?schema=kiln_restart`;
  const kiln = await Kiln.open({ store: url, jobs: guaranteeJobs });
  const from = await kiln.store.currentSeq();
  const watcher = spawnSupport('watcher.ts', [url, String(from), 'trace']);
  const workers = [0, 1].map(() =>
    spawnWorkerProcess(url, { concurrency: 10, types: ['test'] }, { errors: true }),
  );
  await Promise.all([watcher.ready, ...workers.map((w) => w.ready)]);

  // Jobs that are running when the server goes down, and finish while it is down.
  const before: EnqueueItem[] = Array.from({ length: BEFORE }, (_, i) => ({
    job: testJob,
    params: { action: 'progress', steps: 10, ms: 1_000, value: i, startLog, doneLog },
  }));
  const ids = (await kiln.enqueueMany(before)).map((r) => r.id);
  await waitFor(() => counts(startLog).size >= 10, { what: 'jobs to be running' });

  await cluster.stop();
  // Down until each worker and the watcher has found it so.
  const failed = (c: { json: () => Seen[] }, key: 'error' | 'feedError') =>
    c.json().some((l) => (l as Record<string, unknown>)[key] !== undefined);
  await waitFor(() => workers.every((w) => failed(w, 'error')) && failed(watcher, 'feedError'), {
    timeoutMs: 15_000,
    what: 'the workers and the watcher to find the database down',
  });
  await cluster.start();

  const after: EnqueueItem[] = Array.from({ length: AFTER }, (_, i) => ({
    job: testJob,
    params: { action: 'succeed', value: BEFORE + i, startLog, doneLog },
  }));
  ids.push(...(await kiln.enqueueMany(after)).map((r) => r.id));

  // A claim whose commit was cut off unheard is taken again after its lease (8 s).
  await waitFor(
    async () =>
      (await kiln.jobs.list({ state: 'completed', limit: 1_000 })).items.length === ids.length,
    { timeoutMs: 30_000, intervalMs: 50, what: 'every job to complete' },
  );
  const seenDone = () =>
    new Set(
      watcher
        .json<Seen>()
        .filter((e) => e.state === 'completed')
        .map((e) => e.id),
    );
  await waitFor(() => ids.every((id) => seenDone().has(id)), {
    what: 'the watcher to see every completion',
  });

  for (const c of [watcher, ...workers]) expect(c.child.exitCode).toBeNull();
  const started = counts(startLog);
  const done = counts(doneLog);
  expect(ids.filter((id) => started.get(id) !== 1)).toEqual([]);
  expect(ids.filter((id) => done.get(id) !== 1)).toEqual([]);
  await kiln.close();
});
