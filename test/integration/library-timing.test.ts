/**
 * When an idle worker wakes: delayed jobs start when they come due (not a poll interval
 * later), and a due job the worker cannot run does not make it spin.
 */
import { expect, test } from 'vitest';
import { z } from 'zod';
import { defineJob, type Kiln } from '../../src/index.ts';
import { waitFor } from '../support/helpers.ts';
import { useKiln } from '../support/library.ts';

const openKiln = useKiln();

const starts = new Map<string, number>();
const stamp = defineJob({
  type: 'stamp',
  params: z.object({ key: z.string() }),
  run: (ctx) => {
    starts.set(ctx.params.key, Date.now());
  },
});
const other = defineJob({ type: 'other', params: z.object({}), run: () => null });

/** Counts the worker's store turns from now on. */
function countTurns(kiln: Kiln): { count: number } {
  const counter = { count: 0 };
  const store = kiln.store;
  const turn = store.turn.bind(store);
  store.turn = (input) => {
    counter.count++;
    return turn(input);
  };
  return counter;
}

test('delayed jobs start within a few milliseconds of their runAt, with the default 1 s idle poll', async () => {
  const { kiln, work } = await openKiln({ jobs: [stamp] });
  work({ idlePollMs: 1_000 });
  const base = Date.now() + 200;
  const due = new Map<string, number>();
  /** When each job was stored as due: later than asked when its enqueue itself came late. */
  const stored = new Map<string, number>();
  for (let i = 0; i < 12; i++) {
    const runAt = base + i * 37;
    due.set(`k${i}`, runAt);
    const job = await kiln.enqueue(stamp, { key: `k${i}` }, { runAt });
    stored.set(`k${i}`, Math.max(runAt, job.runAt.getTime()));
  }
  await waitFor(() => starts.size === 12, { what: 'all delayed jobs to start' });
  // Never early; and late by well under the idle poll (a missed wake-up costs the full
  // 1 s), counted from when the job was due in the store: on a loaded machine the
  // enqueues themselves can run past the times they ask for.
  expect(
    Math.min(...[...due].map(([key, runAt]) => starts.get(key)! - runAt)),
  ).toBeGreaterThanOrEqual(0);
  const lags = [...stored].map(([key, runAt]) => starts.get(key)! - runAt);
  expect(Math.max(...lags)).toBeLessThan(700);
});

test('a due job of a type this worker does not run does not make it spin', async () => {
  const { kiln, work } = await openKiln({ jobs: [stamp, other] });
  await kiln.enqueue(other, {});
  const turns = countTurns(kiln);
  work({ types: ['stamp'], idlePollMs: 1_000 });
  // Wait for a real event (a job of its own type runs) rather than for time to pass.
  await kiln.enqueue(stamp, { key: 'mine' });
  await waitFor(() => starts.has('mine'), { what: 'the worker to run its own job' });
  const before = turns.count;
  await kiln.enqueue(stamp, { key: 'mine-2' }, { runAt: Date.now() + 300 });
  await waitFor(() => starts.has('mine-2'), { what: 'the delayed job' });
  // About 300 ms idle with a due foreign job in the queue: a handful of turns, not thousands.
  expect(turns.count - before).toBeLessThan(20);
});

test('idle claims take no feed position: an idle worker wakes no watcher', async () => {
  const { kiln, work, kind } = await openKiln({ jobs: [stamp] });
  const turns = countTurns(kiln);
  await kiln.enqueue(stamp, { key: 'idle-first' });
  work({ idlePollMs: 20 });
  await waitFor(() => starts.has('idle-first'), { what: 'the first job' });
  await waitFor(async () => (await kiln.jobs.list({ state: 'completed' })).items.length === 1);
  const seq = await kiln.store.currentSeq();
  const before = turns.count;
  // Idle turns, polled every 20 ms: wait for several of them, not for time.
  await waitFor(() => turns.count - before >= 5, { what: 'five idle turns' });
  expect(await kiln.store.changesSince(seq, {}, 10)).toEqual([]);
  // SQLite's positions are its own counter, which an idle turn must not move either
  // (PostgreSQL's are transaction ids: other sessions move them).
  if (kind === 'sqlite') expect(await kiln.store.currentSeq()).toBe(seq);
});
