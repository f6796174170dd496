/**
 * The short chaos run, on the store of this project (sqlite, or postgres with backend
 * terminations): `npm run chaos` as a child process with 1,000 jobs for 25 s, every
 * check passed and kills really made. Before it, two quick proofs that the run means
 * something: the same seed gives the same schedule, and the checker fails on a double
 * completion, a lost enqueue, backward progress, a change after a terminal state and a
 * torn job when it is shown one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { expectedResult, stepMessage } from '../../scripts/chaos/chaos-job.ts';
import { type Evidence, evaluate, type ObserverReport } from '../../scripts/chaos/check.ts';
import { JobViews, type WireJob } from '../../scripts/chaos/consistency.ts';
import type { Summary } from '../../scripts/chaos/harness.ts';
import { enqueueParams, makePlan } from '../../scripts/chaos/plan.ts';
import type { Job } from '../../src/index.ts';
import { runNode, tempStore } from '../support/helpers.ts';
import { STORE_KIND } from '../support/stores.ts';

const RUN = join(import.meta.dirname, '../../scripts/chaos/run.ts');

test('the same seed gives the same schedule; another seed another', () => {
  const o = { seconds: 60, jobs: 100, workers: 4, meanMs: 100, backends: true };
  const a = makePlan({ ...o, seed: 5 });
  const b = makePlan({ ...o, seed: 5 });
  const c = makePlan({ ...o, seed: 6 });
  expect(b.kills).toEqual(a.kills);
  expect(b.backendKills).toEqual(a.backendKills);
  expect(b.fingerprint).toBe(a.fingerprint);
  expect(c.fingerprint).not.toBe(a.fingerprint);
  expect(a.kills.some((k) => k.target.kind === 'server')).toBe(true);
});

const wire = (over: Partial<WireJob>): WireJob => ({
  id: 'j1',
  type: 'chaos',
  state: 'running',
  attempt: 1,
  maxAttempts: 30,
  progress: 0.5,
  progressMessage: stepMessage(1, 2, 1),
  params: { key: 1, ms: 10, steps: 2, failAttempts: 0, final: false },
  result: null,
  error: null,
  leaseOwner: 'w',
  leaseExpiresAt: '2026-01-01T00:00:00.000Z',
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: null,
  batchId: null,
  idempotencyKey: null,
  ...over,
});

test('an observer flags backward progress, a change after terminal and a torn job', () => {
  const views = new JobViews();
  expect(views.see(wire({}))).toEqual([]);
  expect(views.see(wire({ progress: 0, progressMessage: null })).map((v) => v.kind)).toEqual([
    'backward',
  ]);
  const done = {
    state: 'completed',
    progress: 1,
    progressMessage: stepMessage(2, 2, 1),
    result: expectedResult({ key: 1, steps: 2 }),
    finishedAt: '2026-01-01T00:00:01.000Z',
  };
  expect(views.see(wire(done))).toEqual([]);
  expect(views.see(wire(done))).toEqual([]); // the same version again is no change
  expect(
    views.see(wire({ ...done, attempt: 2, progressMessage: stepMessage(2, 2, 2) }))[0]?.kind,
  ).toBe('completedTwice');
  // Progress of attempt 1 with the number of attempt 2: two versions mixed.
  expect(new JobViews().see(wire({ attempt: 2 }))[0]?.kind).toBe('torn');
  expect(new JobViews().see(wire({ ...done, result: { key: 2 } }))[0]?.kind).toBe('torn');
});

test('the checker fails a double completion, a lost enqueue and what observers report', () => {
  const params = { key: 0, ms: 10, steps: 2, failAttempts: 0, final: false };
  const job = {
    id: 'j1',
    type: 'chaos',
    state: 'completed',
    attempt: 2,
    params,
    result: expectedResult(params),
    error: null,
    batchId: 'b1',
    idempotencyKey: null,
    startedAt: new Date(1_000),
  } as unknown as Job;
  const observer: ObserverReport = {
    events: 1,
    jobEvents: 1,
    reconnects: 0,
    reads: 0,
    listReads: 0,
    readErrors: 0,
    torn: 0,
    backward: 0,
    afterTerminal: 0,
    completedTwice: 0,
    repeats: 0,
    streamError: null,
    examples: [],
    final: { j1: 'completed:2' },
  };
  const evidence: Evidence = {
    seed: 1,
    meanMs: 10,
    jobs: [job],
    attempts: [],
    // Both attempts returned, and nothing recorded attempt 1 ending otherwise: it completed,
    // then attempt 2 ran and completed again.
    attemptLines: ['start j1 1 10', 'done j1 1 10', 'start j1 2 11', 'done j1 2 11'],
    batchId: 'b1',
    batch: [params],
    acks: [],
    gaveUp: 0,
    observers: [observer],
    kills: [],
    recoveryBoundMs: 9_000,
    crashes: [],
    driverErrors: [],
  };
  const failing = (e: Evidence) =>
    evaluate(e)
      .checks.filter((c) => !c.ok)
      .map((c) => c.name);
  expect(failing(evidence)).toEqual(['none completed twice']);
  // With attempt 1 recorded as stalled (its worker killed after the return), all is well.
  const stalled = {
    job_id: 'j1',
    attempt: 1,
    state: 'stalled',
    started_at_ms: 0,
    finished_at_ms: 500,
    lease_owner: 'w1',
  };
  expect(failing({ ...evidence, attempts: [stalled] })).toEqual([]);
  const fine = { ...evidence, attempts: [stalled] };
  expect(failing({ ...fine, acks: [{ ack: 0, id: 'gone', tries: 1 }] })).toEqual([
    'every acknowledged enqueue present',
  ]);
  expect(enqueueParams(1, 0, 10)).toEqual(enqueueParams(1, 0, 10));
  expect(failing({ ...fine, observers: [{ ...observer, backward: 1 }] })).toEqual([
    'no backward progress seen',
  ]);
  expect(failing({ ...fine, observers: [{ ...observer, afterTerminal: 1 }] })).toEqual([
    'no change after a terminal state',
  ]);
  expect(failing({ ...fine, observers: [{ ...observer, torn: 1 }] })).toEqual(['torn reads']);
  expect(failing({ ...fine, observers: [{ ...observer, final: {} }] })).toEqual([
    "observers saw every job's final state",
  ]);
  // A kill of the worker that held attempt 1, 9.5 s before the attempt was settled.
  const kill = {
    plannedMs: 0,
    atMs: -9_000,
    target: 'worker' as const,
    index: 0,
    pid: 1,
    workerId: 'w1',
    restartMs: 1,
  };
  expect(failing({ ...fine, kills: [kill] })).toEqual([
    'killed jobs due again within lease + poll',
  ]);
});

test(`a short chaos run on ${STORE_KIND}: every check passes, and kills happened`, {
  timeout: 180_000,
}, async () => {
  const dir = tempStore();
  try {
    const out = join(dir.dir, 'summary.json');
    const run = runNode([
      RUN,
      '--store',
      STORE_KIND,
      '--seconds',
      '25',
      '--seed',
      '7',
      '--jobs',
      '1000',
      '--out',
      out,
    ]);
    const { code, stdout, stderr } = await run.done;
    expect(code, `${stdout}\n${stderr}`).not.toBe(3);
    const summary = JSON.parse(readFileSync(out, 'utf8')) as Summary;
    const failed = summary.checks.filter((c) => !c.ok);
    expect(failed, stdout).toEqual([]);
    expect(code).toBe(0);
    expect(summary.kills.workers).toBeGreaterThanOrEqual(3);
    expect(summary.kills.server).toBeGreaterThanOrEqual(1);
    if (STORE_KIND === 'postgres')
      expect(summary.kills.backendsTerminated).toBeGreaterThanOrEqual(3);
    expect(summary.recovery.killedJobs).toBeGreaterThan(0);
    expect(summary.jobs.enqueued).toBeGreaterThan(0);
    expect(summary.observers.every((o) => o.reconnects > 0)).toBe(true);
  } finally {
    dir.cleanup();
  }
});
