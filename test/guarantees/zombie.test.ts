/**
 * Guarantees 2 and 6: a zombie attempt (its lease expired and the job was reclaimed)
 * cannot write progress, logs, usage, a checkpoint, an artifact, a result or a state.
 * Once through the store contract by hand, once with real processes frozen by SIGSTOP.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { type ChangeEvent, Kiln } from '../../src/index.ts';
import type { ClaimRequest, Fence, Settle, StalledSettle } from '../../src/store/store.ts';
import { flushMark } from '../../src/worker/progress-buffer.ts';
import { waitFor } from '../support/helpers.ts';
import { testJob } from '../support/test-jobs.ts';
import { guaranteeJobs, zombieJob } from './support/jobs.ts';
import { freeze, spawnWorkerProcess, teardown, testStore } from './support/processes.ts';
import { storedArtifacts } from './support/stored-artifacts.ts';
import { turnInput } from './support/turn-input.ts';

/** Rising flush marks, as a worker's progress buffers make them. */
let marks = 0;
const mark = (f: Fence): number => flushMark(f.attempt, ++marks);

afterEach(teardown);

const types = [{ type: 'test', cap: null }];
const claimAs = (owner: string, leaseMs: number): ClaimRequest => ({
  owner,
  limit: 1,
  leaseMs,
  types,
});
const error = { code: 'TEST', message: 'zombie says it failed' };

test('store contract: a reclaimed attempt’s flushes, settles and artifacts are all refused', async () => {
  const store = testStore();
  const kiln = await Kiln.open({ store: store.url, jobs: guaranteeJobs });
  const s = kiln.store;
  const job = await kiln.enqueue(testJob, { action: 'succeed', value: 1 });

  // A claims with a tiny lease and writes while it holds it.
  const first = await s.turn(turnInput({ claim: claimAs('owner-A', 500) }));
  expect(first.claimed.map((c) => [c.id, c.attempt])).toEqual([[job.id, 1]]);
  const a: Fence = { id: job.id, attempt: 1, owner: 'owner-A', row: first.claimed[0]!.row };
  const live = await s.turn(
    turnInput({ flushes: [{ fence: a, mark: mark(a), progress: 0.3, message: 'A 30%' }] }),
  );
  expect(live.lostFences).toEqual([]);
  expect(await s.writeArtifact(a, 'a.txt', Buffer.from('A while live'), null)).toBe(true);
  expect(await kiln.jobs.get(job.id)).toMatchObject({ progress: 0.3, progressMessage: 'A 30%' });

  // A's lease expires: even before anyone reclaims the job, A may not write.
  const expired = await waitFor(
    async () => (await s.expiredLeases(10)).find((e) => e.id === job.id),
    {
      what: 'the lease to expire',
    },
  );
  expect(expired).toMatchObject({ id: job.id, attempt: 1, owner: 'owner-A' });
  const afterExpiry = (await kiln.jobs.get(job.id))!;
  const lateA = await s.turn(
    turnInput({ flushes: [{ fence: a, mark: mark(a), progress: 0.4, message: 'A late' }] }),
  );
  expect(lateA.lostFences).toEqual([a]);
  expect(await s.renewLeases('owner-A', 60_000)).toEqual([]);
  expect(await s.heldLeases('owner-A')).toEqual([]);
  expect(await kiln.jobs.get(job.id)).toEqual(afterExpiry);

  // B reaps the stalled attempt and claims attempt 2 in one turn.
  const reap: StalledSettle = { kind: 'reschedule', fence: a, error, delayMs: 0 };
  const second = await s.turn(turnInput({ reaps: [reap], claim: claimAs('owner-B', 60_000) }));
  expect(second.reaped).toEqual([true]);
  expect(second.claimed.map((c) => [c.id, c.attempt])).toEqual([[job.id, 2]]);
  const b: Fence = { id: job.id, attempt: 2, owner: 'owner-B', row: second.claimed[0]!.row };
  const reclaimed = (await kiln.jobs.get(job.id))!;
  expect(reclaimed).toMatchObject({
    state: 'running',
    attempt: 2,
    leaseOwner: 'owner-B',
    progress: 0,
  });

  // Everything A tries now is refused, one call at a time and all in one turn.
  const zombieFlush = {
    fence: a,
    mark: mark(a),
    progress: 0.9,
    message: 'zombie',
    heartbeat: true,
    checkpointJson: JSON.stringify({ zombie: true }),
    usage: { tokens: 99, costUsd: 9 },
    logs: [{ atMs: Date.now(), level: 'warn' as const, message: 'zombie log', fieldsJson: null }],
  };
  const zombieSettles: Settle[] = [
    { kind: 'complete', fence: a, resultJson: JSON.stringify('zombie result') },
    { kind: 'fail', fence: a, error },
    { kind: 'reschedule', fence: a, error, delayMs: 0 },
    { kind: 'release', fence: a },
  ];
  const all = await s.turn(turnInput({ flushes: [zombieFlush], settles: zombieSettles }));
  expect(all.lostFences).toEqual([a]);
  expect(all.settled).toEqual([false, false, false, false]);
  for (const settle of zombieSettles) {
    const one = await s.turn(turnInput({ settles: [settle] }));
    expect(one.settled, settle.kind).toEqual([false]);
  }
  // A second reap of the same (already reaped) attempt is refused as well.
  expect((await s.turn(turnInput({ reaps: [reap] }))).reaped).toEqual([false]);
  expect(await s.writeArtifact(a, 'a.txt', Buffer.from('zombie'), null)).toBe(false);
  expect(await s.writeArtifact(a, 'zombie.txt', Buffer.from('zombie'), null)).toBe(false);
  expect(await s.renewLeases('owner-A', 60_000)).toEqual([]);

  // The row is exactly as B's claim left it; no zombie log, artifact row or file.
  expect(await kiln.jobs.get(job.id)).toEqual(reclaimed);
  expect((await kiln.jobs.logs(job.id)).map((l) => l.message)).not.toContain('zombie log');
  expect((await kiln.artifacts.list(job.id)).map((x) => x.name)).toEqual(['a.txt']);
  expect((await kiln.artifacts.read(job.id, 'a.txt')).toString()).toBe('A while live');
  expect(await storedArtifacts(store, job.id)).toEqual(['a.txt']);

  // B still owns the job and completes it; afterwards A still changes nothing.
  expect(
    (await s.turn(turnInput({ flushes: [{ fence: b, mark: mark(b), progress: 0.5 }] }))).lostFences,
  ).toEqual([]);
  expect(await s.writeArtifact(b, 'a.txt', Buffer.from('B'), null)).toBe(true);
  const done = await s.turn(
    turnInput({
      settles: [{ kind: 'complete', fence: b, resultJson: JSON.stringify('B result') }],
    }),
  );
  expect(done.settled).toEqual([true]);
  const completed = (await kiln.jobs.get(job.id))!;
  expect(completed).toMatchObject({
    state: 'completed',
    attempt: 2,
    result: 'B result',
    progress: 1,
  });
  const afterDone = await s.turn(turnInput({ flushes: [zombieFlush], settles: zombieSettles }));
  expect(afterDone.settled).toEqual([false, false, false, false]);
  expect(afterDone.lostFences).toEqual([a]);
  // B's own late writes after its completion are refused too (terminal states are final).
  const lateB = await s.turn(
    turnInput({
      flushes: [{ fence: b, mark: mark(b), progress: 1, message: 'B late' }],
      settles: [{ kind: 'fail', fence: b, error }],
    }),
  );
  expect(lateB).toMatchObject({ settled: [false], lostFences: [b] });
  expect(await s.writeArtifact(a, 'a.txt', Buffer.from('zombie'), null)).toBe(false);
  expect(await s.writeArtifact(b, 'late.txt', Buffer.from('B late'), null)).toBe(false);
  expect(await kiln.jobs.get(job.id)).toEqual(completed);
  expect((await kiln.artifacts.read(job.id, 'a.txt')).toString()).toBe('B');
  expect(await storedArtifacts(store, job.id)).toEqual(['a.txt']);
  await kiln.close();
});

function noteLines(
  file: string,
): { event: string; attempt: number; pid: number; detail: string }[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [event, attempt, pid, detail = ''] = l.split(' ');
      return { event: event!, attempt: Number(attempt), pid: Number(pid), detail };
    });
}

type Trace = {
  trace?: string;
  /** When the write began (Date.now() in the worker). */
  at?: number;
  id?: string;
  attempt?: number;
  ok?: boolean;
  flushes?: { id: string; attempt: number; message?: string }[];
  settles?: { id: string; attempt: number; ok: boolean }[];
  lost?: { id: string; attempt: number }[];
};

/**
 * Worker A runs attempt 1 and is frozen (SIGSTOP) past its lease; worker B reclaims the
 * job. A is woken (SIGCONT) once B's attempt 2 has completed, or while it still runs, and
 * its handler then tries progress, a log line, an artifact and a result.
 */
async function zombieScenario(wakeWhile: 'completed' | 'running') {
  const store = testStore();
  const log = join(store.dir, 'zombie.log');
  const releaseFile = join(store.dir, 'release');
  const holdFile = join(store.dir, 'hold');
  const kiln = await Kiln.open({ store: store.url, jobs: guaranteeJobs });
  const lease = { leaseMs: 1_500, renewEveryMs: 500, reapEveryMs: 200 };
  const a = spawnWorkerProcess(store.url, lease, { trace: true });
  await a.ready;
  const from = await kiln.store.currentSeq();
  const job = await kiln.enqueue(zombieJob, {
    log,
    releaseFile,
    ...(wakeWhile === 'running' ? { holdFile } : {}),
  });

  // Every change of the job, as the feed shows it, from enqueue to the end of the test.
  const events: ChangeEvent[] = [];
  const stopWatching = new AbortController();
  const watching = (async () => {
    for await (const e of kiln.watch({ jobId: job.id, from, signal: stopWatching.signal }))
      events.push(e);
  })();

  await waitFor(
    async () => (await kiln.jobs.get(job.id))?.progressMessage === 'first attempt running',
    { what: 'attempt 1 to run and report progress' },
  );
  await freeze(a, store);

  const b = spawnWorkerProcess(store.url, lease, { trace: true });
  const bId = (await b.ready).id;
  const beforeWake = await waitFor(
    async () => {
      const j = await kiln.jobs.get(job.id);
      if (wakeWhile === 'completed') return j?.state === 'completed' ? j : null;
      return j?.attempt === 2 && j.progressMessage === 'second attempt halfway' ? j : null;
    },
    { timeoutMs: 15_000, what: `worker B to reclaim the job (${wakeWhile})` },
  );
  expect(beforeWake).toMatchObject(
    wakeWhile === 'completed'
      ? { state: 'completed', attempt: 2, result: { by: 'second', attempt: 2 }, progress: 1 }
      : { state: 'running', attempt: 2, leaseOwner: bId, progress: 0.5 },
  );
  const logsBefore = await kiln.jobs.logs(job.id);
  const filesBefore = await storedArtifacts(store, job.id);
  expect(filesBefore).toEqual(wakeWhile === 'completed' ? ['out.txt'] : []);

  // Wake the zombie and let its handler run to the end: progress, log, artifact, result.
  writeFileSync(releaseFile, '');
  const linesBeforeWake = a.lines.length;
  const wokeAt = Date.now();
  a.child.kill('SIGCONT');
  await waitFor(() => noteLines(log).some((n) => n.event === 'return' && n.pid === a.pid), {
    what: 'the zombie handler to return',
  });
  // A graceful stop flushes whatever A still had queued, then exits: all its writes are done.
  a.child.kill('SIGTERM');
  expect(await a.closed).toEqual({ code: 0, signal: null });

  // The zombie tried its artifact write and was refused.
  expect(
    noteLines(log)
      .filter((n) => n.pid === a.pid)
      .map((n) => `${n.event} ${n.detail}`),
  ).toEqual(['start ', 'released ', 'artifact LEASE_LOST', 'return ']);
  // Every write of attempt 1 that reached the store after the wake-up was refused.
  // (A write that began before the freeze but printed its line after the wake is not one.)
  const late = a.lines
    .slice(linesBeforeWake)
    .map((l) => JSON.parse(l) as Trace)
    .filter((t) => t.trace && t.at! >= wokeAt);
  expect(late.filter((t) => t.trace === 'artifact').map(({ at: _at, ...rest }) => rest)).toEqual([
    { trace: 'artifact', id: job.id, attempt: 1, name: 'out.txt', ok: false },
  ]);
  for (const t of late.filter((x) => x.trace === 'turn')) {
    for (const f of t.flushes!) expect(t.lost).toContainEqual({ id: f.id, attempt: f.attempt });
    for (const st of t.settles!) expect(st.ok).toBe(false);
  }

  // Nothing of it landed: the same row (same seq: not even rewritten; B's lease renewals
  // aside while it runs), logs and files.
  const afterZombie = (await kiln.jobs.get(job.id))!;
  expect({ ...afterZombie, leaseExpiresAt: null }).toEqual({ ...beforeWake, leaseExpiresAt: null });
  expect(await kiln.jobs.logs(job.id)).toEqual(logsBefore);
  expect(await storedArtifacts(store, job.id)).toEqual(filesBefore);

  // B finishes (if it was still running): its result, its artifact, attempt 2.
  if (wakeWhile === 'running') writeFileSync(holdFile, '');
  const completed = await waitFor(async () => {
    const j = await kiln.jobs.get(job.id);
    return j?.state === 'completed' ? j : null;
  });
  expect(completed).toMatchObject({
    attempt: 2,
    result: { by: 'second', attempt: 2 },
    progress: 1,
    progressMessage: 'second attempt halfway',
  });
  expect((await kiln.jobs.logs(job.id)).map((l) => l.message)).not.toContain('zombie log line');
  expect((await kiln.artifacts.read(job.id, 'out.txt')).toString()).toBe(
    'written by the second attempt',
  );
  expect(await storedArtifacts(store, job.id)).toEqual(['out.txt']);

  // The feed agrees: attempt 2 replaced attempt 1 for good, and no zombie value ever showed.
  await waitFor(() => events.some((e) => e.kind === 'job' && e.job.state === 'completed'));
  stopWatching.abort();
  await watching;
  const seen = events.flatMap((e) => (e.kind === 'job' ? [e.job] : []));
  const firstOfTwo = seen.findIndex((j) => j.attempt === 2);
  expect(firstOfTwo).toBeGreaterThan(0);
  expect(seen.slice(firstOfTwo).every((j) => j.attempt === 2)).toBe(true);
  expect(
    seen.some(
      (j) => j.progressMessage === 'zombie progress' || (j.progress > 0.5 && j.progress < 1),
    ),
  ).toBe(false);
  expect(seen.some((j) => (j.result as { by?: string } | null)?.by === 'zombie')).toBe(false);
  expect(seen.at(-1)).toEqual(completed);
  await kiln.close();
}

test('real processes: a worker frozen past its lease writes nothing once another completed the job', async () => {
  await zombieScenario('completed');
});

test('real processes: a worker frozen past its lease writes nothing while another runs the job', async () => {
  await zombieScenario('running');
});

test('store contract: a turn completing many jobs at once refuses exactly the fences that no longer hold', async () => {
  const store = testStore();
  const kiln = await Kiln.open({ store: store.url, jobs: guaranteeJobs });
  const s = kiln.store;
  const jobs = await kiln.enqueueMany(
    Array.from({ length: 7 }, (_, i) => ({ job: testJob, params: { value: i } })),
  );
  const { claimed } = await s.turn(
    turnInput({ claim: { ...claimAs('owner-A', 60_000), limit: 7 } }),
  );
  expect(claimed).toHaveLength(7);
  // One job is cancelled while it runs; another completion names a stale attempt.
  const cancelled = claimed[2]!;
  await kiln.jobs.cancel(cancelled.id);
  const complete = (c: (typeof claimed)[number], attempt = c.attempt): Settle => ({
    kind: 'complete',
    fence: { id: c.id, attempt, owner: 'owner-A', row: c.row },
    resultJson: JSON.stringify({ done: c.id }),
  });
  // Progress first: one flush per attempt, written in batches, two of them refused.
  const flushes = claimed.map((c, i) => ({
    fence: { id: c.id, attempt: i === 5 ? c.attempt + 1 : c.attempt, owner: 'owner-A', row: c.row },
    mark: flushMark(c.attempt, 1),
    progress: 0.5,
    message: `half of ${i}`,
    logs: [{ atMs: 1, level: 'info' as const, message: `log ${i}`, fieldsJson: null }],
  }));
  const flushed = await s.turn(turnInput({ flushes }));
  expect(flushed.lostFences.map((f) => f.id).sort()).toEqual(
    [claimed[2]!.id, claimed[5]!.id].sort(),
  );
  for (const [i, c] of claimed.entries()) {
    const job = (await kiln.jobs.get(c.id))!;
    const logs = await kiln.jobs.logs(c.id);
    if (i === 2 || i === 5) {
      expect(job.progressMessage).toBeNull();
      expect(logs).toEqual([]);
    } else {
      expect(job).toMatchObject({ progress: 0.5, progressMessage: `half of ${i}` });
      expect(logs.map((l) => l.message)).toEqual([`log ${i}`]);
    }
  }
  const settles = claimed.map((c, i) => (i === 5 ? complete(c, c.attempt + 1) : complete(c)));
  const turn = await s.turn(turnInput({ settles }));
  expect(turn.settled).toEqual([true, true, false, true, true, false, true]);
  for (const [i, c] of claimed.entries()) {
    const job = (await kiln.jobs.get(c.id))!;
    if (i === 2) expect(job.state).toBe('cancelled');
    else if (i === 5) expect(job).toMatchObject({ state: 'running', result: null });
    else expect(job).toMatchObject({ state: 'completed', result: { done: c.id } });
  }
  expect(jobs.map((j) => j.id).sort()).toEqual(claimed.map((c) => c.id).sort());
  await kiln.close();
});
