/**
 * The verdict: every check of a chaos run, computed from what the run left behind (the
 * store's jobs and attempt history, the handlers' attempt lines, the enqueuer's
 * acknowledgements, the observers' reports, the driver's kills). Pure: no I/O here, so
 * each rule reads as what it claims.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Job } from '../../src/index.ts';
import { type ChaosParams, expectedResult, FINAL_CODE } from './chaos-job.ts';
import type { KillRecord } from './driver.ts';
import { enqueueParams } from './plan.ts';

export interface AttemptRecord {
  job_id: string;
  attempt: number;
  state: string;
  started_at_ms: number | null;
  finished_at_ms: number;
  lease_owner: string | null;
}

export interface ObserverReport {
  events: number;
  jobEvents: number;
  reconnects: number;
  reads: number;
  listReads: number;
  readErrors: number;
  torn: number;
  backward: number;
  afterTerminal: number;
  completedTwice: number;
  repeats: number;
  streamError: string | null;
  examples: { kind: string; jobId: string; detail: string; via: string }[];
  final: Record<string, string>;
}

export interface Evidence {
  seed: number;
  meanMs: number;
  jobs: Job[];
  attempts: AttemptRecord[];
  /** `start|done <jobId> <attempt> <pid>` lines of every worker process. */
  attemptLines: string[];
  batchId: string;
  batch: ChaosParams[];
  acks: { ack: number; id: string; tries: number }[];
  gaveUp: number;
  observers: ObserverReport[];
  kills: KillRecord[];
  /** Lease plus idle poll: the promised bound on recovering a killed worker's job. */
  recoveryBoundMs: number;
  crashes: string[];
  driverErrors: string[];
}

export interface Check {
  name: string;
  ok: boolean;
  value: string;
  /** How many offenders (jobs, sightings, enqueues) there were. */
  count: number;
  /** The first few offenders, for a failing check. */
  detail: string[];
}

export interface Recovery {
  /** Attempts the reaper ended because their worker was killed under them. */
  killedJobs: number;
  unrecovered: number;
  /**
   * From the kill to the job due again (its stalled attempt settled, the job pending
   * after its backoff): what the lease and dead-worker detection bound.
   */
  requeue: Spread;
  /**
   * From the kill to the job running again on its next attempt: the above plus the wait
   * for a free slot, which behind a backlog of due jobs is that backlog's drain time
   * (a requeued job is due at its backoff's end, after the jobs already waiting).
   */
  running: Spread;
}

export interface Spread {
  maxMs: number | null;
  p99Ms: number | null;
  p50Ms: number | null;
}

function spread(values: number[]): Spread {
  const sorted = [...values].sort((x, y) => x - y);
  return {
    maxMs: sorted.length ? sorted[sorted.length - 1]! : null,
    p99Ms: percentile(sorted, 0.99),
    p50Ms: percentile(sorted, 0.5),
  };
}

const FIRST = 10;

function check(name: string, offenders: string[], value: string): Check {
  return {
    name,
    ok: offenders.length === 0,
    value,
    count: offenders.length,
    detail: offenders.slice(0, FIRST),
  };
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** From each kill of a worker to its jobs running again, on their next attempt. */
export function recovery(e: Evidence): { figures: Recovery; unrecovered: string[] } {
  const killedAt = new Map<string, number>();
  for (const k of e.kills) if (k.workerId) killedAt.set(k.workerId, k.atMs);
  const byKey = new Map(e.attempts.map((a) => [`${a.job_id} ${a.attempt}`, a]));
  const jobs = new Map(e.jobs.map((j) => [j.id, j]));
  const requeued: number[] = [];
  const running: number[] = [];
  const unrecovered: string[] = [];
  for (const a of e.attempts) {
    const at = a.lease_owner === null ? undefined : killedAt.get(a.lease_owner);
    // Only attempts the reaper ended because their worker was killed under them.
    if (at === undefined || a.state !== 'stalled') continue;
    const job = jobs.get(a.job_id);
    const next =
      byKey.get(`${a.job_id} ${a.attempt + 1}`)?.started_at_ms ??
      (job && job.attempt === a.attempt + 1 ? (job.startedAt?.getTime() ?? null) : null);
    requeued.push(a.finished_at_ms - at);
    if (next === null) unrecovered.push(`${a.job_id} attempt ${a.attempt}: no next attempt`);
    else running.push(next - at);
  }
  return {
    figures: {
      killedJobs: requeued.length,
      unrecovered: unrecovered.length,
      requeue: spread(requeued),
      running: spread(running),
    },
    unrecovered,
  };
}

export function evaluate(e: Evidence): { checks: Check[]; recovery: Recovery } {
  const checks: Check[] = [];
  const jobs = new Map(e.jobs.map((j) => [j.id, j]));

  // Every job in a terminal state.
  const open = e.jobs.filter((j) => j.state !== 'completed' && j.state !== 'failed');
  checks.push(
    check(
      'every job terminal',
      open.map((j) => `${j.id} ${j.state} attempt ${j.attempt}`),
      `${e.jobs.length - open.length}/${e.jobs.length}`,
    ),
  );

  // The batch holds exactly the jobs sent, and each job ended as its params say.
  const inBatch = e.jobs.filter((j) => j.batchId === e.batchId);
  const byKey = new Map<number, Job>();
  const wrong: string[] = [];
  for (const j of inBatch) {
    const key = (j.params as ChaosParams).key;
    if (byKey.has(key)) wrong.push(`batch key ${key} twice`);
    byKey.set(key, j);
  }
  e.batch.forEach((p, key) => {
    const j = byKey.get(key);
    if (!j) wrong.push(`batch job ${key} missing`);
    else if (!isDeepStrictEqual(j.params, p)) wrong.push(`batch job ${key} params differ`);
  });
  if (inBatch.length !== e.batch.length)
    wrong.push(`batch has ${inBatch.length} jobs, ${e.batch.length} sent`);
  for (const j of e.jobs) {
    const p = j.params as ChaosParams;
    if (p.final) {
      if (j.state !== 'failed' || j.error?.code !== FINAL_CODE)
        wrong.push(`${j.id} (final) is ${j.state} ${j.error?.code ?? ''}`);
    } else if (j.state === 'completed') {
      if (!isDeepStrictEqual(j.result, expectedResult(p)))
        wrong.push(`${j.id} result ${JSON.stringify(j.result)} for params ${JSON.stringify(p)}`);
    } else if (j.state === 'failed') {
      wrong.push(`${j.id} failed at attempt ${j.attempt}: ${j.error?.code} ${j.error?.message}`);
    }
  }
  const completed = e.jobs.filter((j) => j.state === 'completed').length;
  checks.push(
    check(
      'each result matches its params',
      wrong,
      `${completed} completed, ${e.jobs.length - completed - open.length} failed`,
    ),
  );

  // None completed twice. A handler that returned (a `done` line) either completed its
  // job (the job is completed at that attempt) or its completion never committed, and
  // then the store recorded that attempt ending otherwise (stalled: its worker was
  // killed or lost its lease). A returned attempt with neither was completed and then
  // overwritten by a later attempt: a double completion. Observers add what they saw.
  const ended = new Set(e.attempts.map((a) => `${a.job_id} ${a.attempt}`));
  const starts = new Map<string, number>();
  const returned = new Set<string>();
  const twice: string[] = [];
  for (const line of e.attemptLines) {
    const [what, id, attempt] = line.split(' ');
    const key = `${id} ${attempt}`;
    if (what === 'start') {
      starts.set(key, (starts.get(key) ?? 0) + 1);
      if (starts.get(key) === 2) twice.push(`attempt ${key} started twice`);
    } else if (what === 'done') {
      returned.add(key);
      const job = jobs.get(id!);
      const completedHere = job?.state === 'completed' && job.attempt === Number(attempt);
      if (!completedHere && !ended.has(key))
        twice.push(
          `${key} returned, is not recorded as ended otherwise, job is ${job?.state} at attempt ${job?.attempt}`,
        );
    }
  }
  for (const j of e.jobs) {
    if (j.state === 'completed' && !returned.has(`${j.id} ${j.attempt}`))
      twice.push(`${j.id} completed at attempt ${j.attempt} with no handler return logged`);
  }
  e.observers.forEach((o, i) => {
    for (const x of o.examples.filter((x) => x.kind === 'completedTwice'))
      twice.push(`observer ${i + 1}: ${x.jobId} ${x.detail}`);
    if (o.completedTwice > 0 && !o.examples.some((x) => x.kind === 'completedTwice'))
      twice.push(`observer ${i + 1}: ${o.completedTwice} jobs seen completed twice`);
  });
  checks.push(check('none completed twice', twice, `${twice.length}`));

  // Observers: progress never fell within an attempt, nothing changed after a terminal
  // state, no torn job, and each saw every job's final state (no change skipped).
  const sum = (f: (o: ObserverReport) => number) => e.observers.reduce((s, o) => s + f(o), 0);
  const examples = (kind: string) =>
    e.observers.flatMap((o, i) =>
      o.examples
        .filter((x) => x.kind === kind)
        .map((x) => `observer ${i + 1} ${x.via}: ${x.jobId} ${x.detail}`),
    );
  const fill = (list: string[], n: number) => (n > 0 && list.length === 0 ? [`${n} seen`] : list);
  checks.push(
    check(
      'no backward progress seen',
      fill(
        examples('backward'),
        sum((o) => o.backward),
      ),
      `${sum((o) => o.backward)}`,
    ),
  );
  checks.push(
    check(
      'no change after a terminal state',
      fill(
        examples('afterTerminal'),
        sum((o) => o.afterTerminal),
      ),
      `${sum((o) => o.afterTerminal)}`,
    ),
  );
  checks.push(
    check(
      'torn reads',
      fill(
        examples('torn'),
        sum((o) => o.torn),
      ),
      `${sum((o) => o.torn)} of ${sum((o) => o.jobEvents + o.reads)} sightings`,
    ),
  );
  const missed: string[] = [];
  e.observers.forEach((o, i) => {
    if (o.streamError) missed.push(`observer ${i + 1} stream gave up: ${o.streamError}`);
    for (const j of e.jobs) {
      const seen = o.final[j.id];
      if (seen !== `${j.state}:${j.attempt}`)
        missed.push(
          `observer ${i + 1}: ${j.id} seen ${seen ?? 'never'}, store ${j.state}:${j.attempt}`,
        );
    }
  });
  checks.push(
    check("observers saw every job's final state", missed, `${e.observers.length} observers`),
  );

  // Every acknowledged enqueue is in the store, with the params that were sent.
  const lost: string[] = [];
  for (const a of e.acks) {
    const j = jobs.get(a.id);
    if (!j) lost.push(`enqueue ${a.ack} (${a.id}) acknowledged, not in the store`);
    else if (
      j.idempotencyKey !== `chaos-${e.seed}-${a.ack}` ||
      !isDeepStrictEqual(j.params, enqueueParams(e.seed, a.ack, e.meanMs))
    )
      lost.push(`enqueue ${a.ack} (${a.id}) stored with other params or key`);
  }
  checks.push(
    check(
      'every acknowledged enqueue present',
      lost,
      `${e.acks.length - lost.length}/${e.acks.length}`,
    ),
  );

  const rec = recovery(e);
  const r = rec.figures.requeue;
  const slow =
    r.maxMs !== null && r.maxMs > e.recoveryBoundMs
      ? [`max ${r.maxMs} ms > ${e.recoveryBoundMs} ms`]
      : [];
  checks.push(
    check(
      'killed jobs due again within lease + poll',
      slow,
      `${rec.figures.killedJobs} jobs, max ${r.maxMs ?? '-'} ms, p99 ${r.p99Ms ?? '-'} ms (bound ${e.recoveryBoundMs} ms)`,
    ),
  );
  const g = rec.figures.running;
  checks.push(
    check(
      'killed jobs ran again',
      rec.unrecovered,
      `max ${g.maxMs ?? '-'} ms, p99 ${g.p99Ms ?? '-'} ms after the kill`,
    ),
  );

  checks.push(check('no process crashed by itself', e.crashes, `${e.crashes.length}`));
  checks.push(
    check(
      'the driver did every kill and restart',
      e.driverErrors,
      `${e.driverErrors.length} errors`,
    ),
  );
  return { checks, recovery: rec.figures };
}
