/**
 * Everything random in a chaos run, drawn up front from the seed: the jobs' params and
 * the schedule of kills. The same seed and options give the same plan (the summary
 * prints its fingerprint), so a failing run can be replayed with the same targets at
 * the same times. What the processes then do in between is not deterministic, and is
 * not meant to be: that is what the checks are for.
 */
import { createHash } from 'node:crypto';
import type { ChaosParams } from './chaos-job.ts';
import { Prng } from './prng.ts';

export interface PlanOptions {
  seed: number;
  seconds: number;
  jobs: number;
  workers: number;
  /** Mean run time of one attempt of a job. */
  meanMs: number;
  /** PostgreSQL: also terminate backends. */
  backends: boolean;
}

export type KillTarget = { kind: 'worker'; index: number } | { kind: 'server' };

export interface KillEvent {
  /** Milliseconds after the chaos period began. */
  atMs: number;
  target: KillTarget;
}

export interface BackendEvent {
  atMs: number;
  /** Which of the Kiln backends alive at that moment (sorted by pid): floor(pick × count). */
  pick: number;
}

export interface Plan {
  batch: ChaosParams[];
  kills: KillEvent[];
  backendKills: BackendEvent[];
  /** sha256 of all of the above: equal seeds and options, equal fingerprints. */
  fingerprint: string;
}

/** Keys of jobs enqueued during the run start here, apart from the batch's. */
export const ENQUEUE_KEY_BASE = 1_000_000;

/** One job's params: mostly successes, some retried failures, a few final ones. */
export function jobParams(rng: Prng, key: number, meanMs: number): ChaosParams {
  const final = rng.chance(0.03);
  return {
    key,
    ms: rng.int(0, Math.round(2 * meanMs)),
    steps: rng.int(1, 8),
    failAttempts: !final && rng.chance(0.1) ? rng.int(1, 2) : 0,
    final,
  };
}

/** The params of the k-th single enqueue (the enqueuer process draws the same ones). */
export function enqueueParams(seed: number, k: number, meanMs: number): ChaosParams {
  return jobParams(new Prng((seed * 7_919 + k) >>> 0), ENQUEUE_KEY_BASE + k, meanMs);
}

export function makePlan(o: PlanOptions): Plan {
  const root = new Prng(o.seed);
  const jobsRng = root.fork(1);
  const killRng = root.fork(2);
  const backendRng = root.fork(3);
  const batch = Array.from({ length: o.jobs }, (_, i) => jobParams(jobsRng, i, o.meanMs));

  const endMs = o.seconds * 1000 - 1_000;
  const kills: KillEvent[] = [];
  // "Every few seconds": 1.5 to 4 s apart; one in five is the server.
  for (let at = killRng.int(1_000, 2_500); at < endMs; at += killRng.int(1_500, 4_000)) {
    const server = killRng.chance(0.2);
    const index = killRng.int(0, o.workers - 1);
    kills.push({ atMs: at, target: server ? { kind: 'server' } : { kind: 'worker', index } });
  }
  // "Sometimes the server": at least once in any run long enough for three kills.
  if (kills.length >= 3 && !kills.some((k) => k.target.kind === 'server')) {
    kills[Math.floor(kills.length / 2)]!.target = { kind: 'server' };
  }

  const backendKills: BackendEvent[] = [];
  if (o.backends) {
    for (let at = backendRng.int(500, 1_500); at < endMs; at += backendRng.int(700, 2_500)) {
      backendKills.push({ atMs: at, pick: backendRng.next() });
    }
  }
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ batch, kills, backendKills }))
    .digest('hex')
    .slice(0, 16);
  return { batch, kills, backendKills, fingerprint };
}
