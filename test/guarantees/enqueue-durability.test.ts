/**
 * Guarantee 4, second half: an acknowledged enqueue is never lost, also across a kill -9.
 * A child process enqueues in a loop and prints each id once the call has returned; we
 * SIGKILL it mid-stream and open the store afresh: every printed id is there. With
 * enqueueMany, each call is all or nothing: a call's 50 jobs are all there or none.
 */
import { afterEach, expect, test } from 'vitest';
import { Kiln } from '../../src/index.ts';
import { waitFor } from '../support/helpers.ts';
import { guaranteeJobs } from './support/jobs.ts';
import { spawnSupport, teardown, testStore } from './support/processes.ts';

afterEach(teardown);

const PER_BATCH = 50; // as in support/enqueuer.ts

async function enqueueAndKill(mode: 'one' | 'many', acks: number) {
  const store = testStore();
  const child = spawnSupport('enqueuer.ts', [store.url, mode]);
  await child.ready;
  // lines[0] is the ready line: wait for more than `acks` acknowledgements after it.
  await waitFor(() => child.lines.length > acks + 1, { what: `${acks} acknowledged enqueues` });
  child.child.kill('SIGKILL');
  expect((await child.closed).signal).toBe('SIGKILL');
  // Every line the child wrote before it died is in `lines` (stdout drained on close).
  // Each line went out in one write(2) of under PIPE_BUF bytes, so none is cut short.
  const acked = child.lines.slice(1);
  return { store, acked };
}

test('every id a killed process was given by enqueue() is in the database', async () => {
  const { store, acked } = await enqueueAndKill('one', 200);
  expect(acked.length).toBeGreaterThan(200);
  // A fresh instance on the same store (SQLite: WAL recovery included) finds every one.
  const kiln = await Kiln.open({ store: store.url, jobs: guaranteeJobs });
  const missing: string[] = [];
  for (const id of acked) {
    const job = await kiln.jobs.get(id);
    if (job?.state !== 'pending' || job.id !== id) missing.push(id);
  }
  expect(missing).toEqual([]);
  await kiln.close();
});

test('enqueueMany: every acknowledged call is wholly in the database, and no call is partly there', async () => {
  const { store, acked } = await enqueueAndKill('many', 50);
  expect(acked.length).toBeGreaterThan(50);
  const whole = acked;
  const kiln = await Kiln.open({ store: store.url, jobs: guaranteeJobs });
  for (const line of whole) {
    const [k, ...ids] = line.split(' ');
    expect(ids).toHaveLength(PER_BATCH);
    for (const [i, id] of ids.entries()) {
      const job = await kiln.jobs.get(id);
      expect(job?.params, `job ${i} of call ${k}`).toEqual({
        action: 'succeed',
        ms: 0,
        steps: 10,
        value: `${k}:${i}`,
      });
    }
  }
  await kiln.close();
  // All or nothing: count the stored jobs of each call, acknowledged or not (params.value
  // is `k:i`, k the call).
  const stored = await store.query<{ params: string }>(
    'SELECT p.params FROM jobs j JOIN job_params p ON p.rid = j.rid',
  );
  const perCall = new Map<string, number>();
  for (const { params } of stored) {
    const k = String((JSON.parse(params) as { value: string }).value).split(':')[0]!;
    perCall.set(k, (perCall.get(k) ?? 0) + 1);
  }
  expect(perCall.size).toBeGreaterThanOrEqual(whole.length);
  expect([...perCall].filter(([, n]) => n !== PER_BATCH)).toEqual([]);
});
