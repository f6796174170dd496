/**
 * `kiln worker`, the command, as a user runs it: from source and from the compiled
 * package (built fresh here), with real processes, a real store and real signals.
 */
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, expect, test } from 'vitest';
import { Kiln } from '../../src/index.ts';
import { tempStore, waitFor } from '../support/helpers.ts';
import { testJob, testJobs } from '../support/test-jobs.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SOURCE_BIN = `${ROOT}bin/kiln.ts`;
const BUILT_BIN = `${ROOT}dist/bin/kiln.js`;
const TEST_JOBS = fileURLToPath(new URL('../support/test-jobs.ts', import.meta.url));

beforeAll(() => {
  // The compiled bin under test is built from the current sources, never a stale dist/.
  execFileSync(`${ROOT}node_modules/.bin/tsc`, ['-p', `${ROOT}tsconfig.build.json`]);
}, 60_000);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function runKiln(bin: string, args: string[]) {
  const child = spawn(process.execPath, ['--max-semi-space-size=4', bin, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  cleanups.push(() => {
    child.kill('SIGKILL');
  });
  return { child, exited, stderr: () => stderr };
}

function events(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

test.each([
  ['source', SOURCE_BIN],
  ['compiled', BUILT_BIN],
])(
  'kiln worker (%s) runs jobs of a --jobs module, logs JSON lines, and stops with exit 0 on SIGTERM',
  async (_, bin) => {
    const store = tempStore();
    cleanups.push(store.cleanup);
    const kiln = await Kiln.open({ store: store.url, jobs: testJobs });
    cleanups.push(() => kiln.close());
    const job = await kiln.enqueue(testJob, { action: 'succeed', value: 7 });
    const worker = runKiln(bin, ['worker', '--store', store.url, '--jobs', TEST_JOBS, '-c', '2']);
    const done = await waitFor(async () => {
      const j = await kiln.jobs.get(job.id);
      return j?.state === 'completed' ? j : null;
    });
    expect(done.result).toEqual({ value: 7, attempt: 1 });
    await waitFor(() => events(worker.stderr()).some((e) => e.event === 'job:complete'));
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    const names = events(worker.stderr()).map((e) => e.event);
    expect(names).toEqual(
      expect.arrayContaining(['worker:start', 'job:start', 'job:complete', 'worker:stop']),
    );
  },
);

test('the compiled kiln worker loads its default demo jobs', async () => {
  const store = tempStore();
  cleanups.push(store.cleanup);
  const worker = runKiln(BUILT_BIN, ['worker', '--store', store.url]);
  const start = await waitFor(() =>
    events(worker.stderr()).find((e) => e.event === 'worker:start'),
  );
  expect(start.types).toEqual(expect.arrayContaining(['curriculum', 'presentation']));
  worker.child.kill('SIGTERM');
  expect(await worker.exited).toBe(0);
});

test('a misspelt option is refused with a suggestion and exit code 2', async () => {
  const worker = runKiln(SOURCE_BIN, ['worker', '--concurency', '3']);
  expect(await worker.exited).toBe(2);
  expect(worker.stderr()).toContain('did you mean --concurrency?');
});
