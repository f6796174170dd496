/**
 * `kiln worker` runs the scheduler: a scheduled template's ticks become batches, which
 * the same worker then runs, and SIGTERM stops both. On both stores.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { Kiln } from '../../src/index.ts';
import { waitFor } from '../support/helpers.ts';
import { newTestStore } from '../support/stores.ts';
import { testJobs } from '../support/test-jobs.ts';

const BIN = fileURLToPath(new URL('../../bin/kiln.ts', import.meta.url));
const TEST_JOBS = fileURLToPath(new URL('../support/test-jobs.ts', import.meta.url));

const cleanups: ((failed: boolean) => Promise<void> | void)[] = [];
afterEach(async (context) => {
  const failed = context.task.result?.state === 'fail';
  for (const c of cleanups.splice(0).reverse()) await c(failed);
});

it('kiln worker creates the batches of scheduled templates and runs them', async () => {
  const store = newTestStore();
  cleanups.push((failed) => store.cleanup(failed));
  const kiln = await Kiln.open({ store: store.url, jobs: testJobs });
  cleanups.push(() => kiln.close());
  await kiln.templates.save({
    name: 'pulse',
    type: 'test',
    grid: { value: [1, 2] },
    schedule: { cron: '* * * * * *' },
  });

  const child = spawn(
    process.execPath,
    [BIN, 'worker', '--store', store.url, '--jobs', TEST_JOBS],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  cleanups.push(() => {
    child.kill('SIGKILL');
  });

  const done = await waitFor(
    async () => {
      const batches = (await kiln.batches.list()).items;
      return batches.find((b) => b.template === 'pulse' && b.state === 'completed');
    },
    { what: 'a scheduled batch run to completion', timeoutMs: 30_000 },
  );
  expect(done.counts).toMatchObject({ total: 2, completed: 2 });
  expect(done.name).toMatch(/^pulse \d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?$/);
  expect(stderr).toContain('"schedule.batch_created"');

  child.kill('SIGTERM');
  expect(await exited).toBe(0);
});
