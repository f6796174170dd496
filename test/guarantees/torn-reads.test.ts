/**
 * Guarantee 1: a status change is atomic. Readers in two other processes and in this one
 * read one job in tight loops while a worker process rewrites it about a thousand times
 * (progress "step i/N" with progress i/N, large params, then a large result). Every read
 * parses and is consistent: message matches progress, a completed job has its result
 * and progress 1, nothing moves backwards.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { type Job, Kiln } from '../../src/index.ts';
import { testJob } from '../support/test-jobs.ts';
import { bigValue, checkRead, type Expected } from './support/consistency.ts';
import { guaranteeJobs } from './support/jobs.ts';
import { spawnSupport, spawnWorkerProcess, teardown, testStore } from './support/processes.ts';

afterEach(teardown);

interface Summary {
  done: true;
  reads: number;
  violations: string[];
  states: Record<string, number>;
  distinctProgress: number;
}

test('readers in three processes never see a torn or inconsistent job while a worker writes it', async () => {
  const store = testStore();
  const kiln = await Kiln.open({ store: store.url, jobs: guaranteeJobs });
  const expected: Expected = { value: bigValue(64 * 1024), steps: 1_000 };
  const expectedFile = join(store.dir, 'expected.json');
  writeFileSync(expectedFile, JSON.stringify(expected));
  // Enqueued before any worker runs, so readers see it pending, running, then completed.
  const job = await kiln.enqueue(testJob, {
    action: 'progress',
    steps: expected.steps,
    ms: 2_000,
    value: expected.value,
  });
  const readers = [0, 1].map(() => spawnSupport('reader.ts', [store.url, job.id, expectedFile]));
  await Promise.all(readers.map((r) => r.ready));
  const worker = spawnWorkerProcess(store.url, { concurrency: 1 });
  await worker.ready;

  // The in-process reader (yielding now and then so this process can read the children's output).
  let reads = 0;
  let after = -1;
  let before: Job | null = null;
  const violations: string[] = [];
  const progressSeen = new Set<number>();
  // On PostgreSQL the readers and their backends (a read sends up to 128 KB) leave the
  // worker little of two cores: its 2-second job took about 15 s there, hence the room.
  const deadline = Date.now() + 50_000;
  while (after < 200 && Date.now() < deadline) {
    const j = await kiln.jobs.get(job.id);
    reads++;
    const problem = checkRead(j, expected, before);
    if (problem) violations.push(problem);
    if (j?.state === 'running') progressSeen.add(j.progress);
    if (j?.state === 'completed' && after < 0) after = 0;
    if (after >= 0) after++;
    before = j;
    if (reads % 20 === 0) await new Promise((r) => setImmediate(r));
  }
  expect(violations).toEqual([]);
  expect(after).toBeGreaterThan(0);
  // Not vacuous: this reader saw the job move through many progress values.
  expect(progressSeen.size).toBeGreaterThan(20);

  for (const r of readers) {
    const { code } = await r.closed;
    expect(code).toBe(0);
    const summary = r.json<Summary>().find((l) => l.done);
    expect(summary?.violations).toEqual([]);
    expect(summary?.states.completed).toBeGreaterThan(0);
    expect(summary?.states.running).toBeGreaterThan(0);
    expect(summary!.distinctProgress).toBeGreaterThan(20);
  }
  const final = (await kiln.jobs.get(job.id))!;
  expect(final).toMatchObject({ state: 'completed', progress: 1, attempt: 1 });
  await kiln.close();
}, 90_000);
