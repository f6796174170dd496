import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { waitFor } from '../support/helpers.ts';
import { processAlive, useKiln, waitForJob } from '../support/library.ts';
import { richIsolatedJob } from '../support/library-jobs.ts';
import { isolatedJob, testJobs } from '../support/test-jobs.ts';

const openKiln = useKiln();
const jobs = [...testJobs, richIsolatedJob];

/** The pids that started the job, from its start log ("<jobId> <attempt> <pid>" lines). */
function startPids(file: string): number[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => Number(line.split(' ')[2]));
}

describe("isolation: 'process'", () => {
  test('runs each attempt in another process and stores its result and progress', async () => {
    const { kiln, work, dir } = await openKiln({ jobs });
    const startLog = join(dir, 'starts.log');
    const job = await kiln.enqueue(isolatedJob, {
      action: 'progress',
      steps: 4,
      ms: 40,
      value: 'from the child',
      startLog,
    });
    work();
    const done = await waitForJob(kiln, job.id, 'completed');
    expect(done.result).toEqual({ value: 'from the child', attempt: 1 });
    expect(done.progressMessage).toBe('step 4/4');
    const [pid] = startPids(startLog);
    expect(pid).toBeGreaterThan(0);
    expect(pid).not.toBe(process.pid);
  });

  test('logs, usage and artifacts go through IPC, bad artifact names included', async () => {
    const { kiln, work } = await openKiln({ jobs });
    const job = await kiln.enqueue(richIsolatedJob, {
      logs: ['from child'],
      tokens: 10,
      costUsd: 0.02,
      progress: 0.4,
      files: { 'slide-1.html': '<h1>1</h1>' },
      badNames: ['../escape', '.hidden', 'a/b'],
    });
    work();
    const done = await waitForJob(kiln, job.id, 'completed');
    const result = done.result as {
      pid: number;
      refused: Record<string, string>;
      listed: string[];
      readBack: Record<string, string>;
    };
    expect(result.pid).not.toBe(process.pid);
    expect(result.refused).toEqual({
      '../escape': 'INVALID_ARTIFACT_NAME',
      '.hidden': 'INVALID_ARTIFACT_NAME',
      'a/b': 'INVALID_ARTIFACT_NAME',
    });
    expect(result.listed).toEqual(['slide-1.html']);
    expect(result.readBack).toEqual({ 'slide-1.html': '<h1>1</h1>' });
    expect(done.usage).toEqual({ tokens: 10, costUsd: 0.02 });
    expect(done.progressMessage).toBe('reported');
    expect((await kiln.jobs.logs(job.id)).map((l) => [l.level, l.message])).toEqual([
      ['info', 'from child'],
      ['warn', 'a warning'],
    ]);
    expect((await kiln.artifacts.read(job.id, 'slide-1.html')).toString()).toBe('<h1>1</h1>');
  });

  test('a NonRetryableError thrown in the child fails the job at once', async () => {
    const { kiln, work } = await openKiln({ jobs });
    const job = await kiln.enqueue(isolatedJob, { action: 'throw-final' });
    work();
    const failed = await waitForJob(kiln, job.id, 'failed');
    expect(failed.attempt).toBe(1);
    expect(failed.error).toMatchObject({ message: 'failing for good', code: 'TEST_FINAL' });
  });

  test('an ordinary error in the child is retried, then fails with its message', async () => {
    const { kiln, work } = await openKiln({ jobs });
    const job = await kiln.enqueue(isolatedJob, { action: 'throw' });
    work();
    const failed = await waitForJob(kiln, job.id, 'failed');
    expect(failed.attempt).toBe(2);
    expect(failed.error?.message).toBe('failing on purpose (attempt 2)');
  });

  test('a handler that ignores cancel is killed after killGraceMs', async () => {
    const { kiln, work, dir } = await openKiln({ jobs });
    const startLog = join(dir, 'hang.log');
    // 'hang' ignores its signal for an hour.
    const job = await kiln.enqueue(isolatedJob, { action: 'hang', startLog });
    work({ killGraceMs: 300 });
    await waitForJob(kiln, job.id, 'running');
    const [pid] = await waitFor(() => {
      const pids = startPids(startLog);
      return pids.length > 0 ? pids : null;
    });
    expect(processAlive(pid!)).toBe(true);
    const cancelledAt = Date.now();
    await kiln.jobs.cancel(job.id);
    await waitFor(() => !processAlive(pid!), { what: `child ${pid} to be killed` });
    // Not before the grace period it was given to stop by itself.
    expect(Date.now() - cancelledAt).toBeGreaterThanOrEqual(300);
    const final = (await kiln.jobs.get(job.id))!;
    expect(final.state).toBe('cancelled');
    expect(final.result).toBeNull();
  });

  test('a cancelled child that honours its signal exits without being killed', async () => {
    const { kiln, work, dir } = await openKiln({ jobs });
    const startLog = join(dir, 'sleep.log');
    const job = await kiln.enqueue(isolatedJob, { action: 'sleep', ms: 60_000, startLog });
    // A long kill grace: the child must end by itself, well before it.
    work({ killGraceMs: 30_000 });
    const [pid] = await waitFor(() => {
      const pids = startPids(startLog);
      return pids.length > 0 ? pids : null;
    });
    await kiln.jobs.cancel(job.id);
    await waitFor(() => !processAlive(pid!), { timeoutMs: 10_000, what: `child ${pid} to exit` });
    expect((await kiln.jobs.get(job.id))!.state).toBe('cancelled');
  });
});
