/**
 * What an observer checks in every job it sees, in an event or in an HTTP read:
 *
 * - `tornProblem`: the job is internally consistent, as one committed version of the
 *   row must be (guarantee 1). The chaos job's progress message names its step and its
 *   attempt, and its result is a function of its params, so a row mixing two versions
 *   (a progress from one attempt with the attempt number of another, a result without
 *   its progress) shows.
 * - `JobViews`: successive sightings of a job by one follower move only forward: the
 *   attempt never falls, progress never falls within an attempt (guarantee 3), nothing
 *   changes after a terminal state (guarantee 6), and a job is never seen completed by
 *   two attempts (guarantee 4).
 */
import { isDeepStrictEqual } from 'node:util';
import { CHAOS_TYPE, expectedResult, FINAL_CODE, stepMessage } from './chaos-job.ts';

/** A job as the HTTP API sends it (times as strings). */
export interface WireJob {
  id: string;
  type: string;
  state: string;
  attempt: number;
  maxAttempts: number;
  progress: number;
  progressMessage: string | null;
  params: Record<string, unknown>;
  result: unknown;
  error: { code?: string; message?: string } | null;
  /** Kept after an attempt ends (it names the last attempt's worker); the expiry is cleared. */
  leaseOwner: string | null;
  leaseExpiresAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  batchId: string | null;
  idempotencyKey: string | null;
}

export const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/** What is wrong with this version of the job, or null. */
export function tornProblem(job: WireJob): string | null {
  if (job.type !== CHAOS_TYPE) return `unexpected type ${job.type}`;
  const p = job.params as {
    key?: unknown;
    steps?: unknown;
    final?: unknown;
    failAttempts?: unknown;
  };
  if (typeof p.key !== 'number' || typeof p.steps !== 'number' || p.steps < 1)
    return `params ${JSON.stringify(job.params)}`;
  const steps = p.steps;
  const step = Math.round(job.progress * steps);
  if (step / steps !== job.progress) return `progress ${job.progress} is not a step of ${steps}`;
  if (
    step === 0
      ? job.progressMessage !== null
      : job.progressMessage !== stepMessage(step, steps, job.attempt)
  )
    return `${job.state} at attempt ${job.attempt}, progress ${job.progress}, with message ${JSON.stringify(job.progressMessage)}`;
  switch (job.state) {
    case 'pending':
      if (job.leaseExpiresAt !== null || job.result !== null || job.finishedAt !== null)
        return 'pending with a lease, a result or a finish time';
      if (job.attempt === 0 && job.leaseOwner !== null)
        return 'pending before any attempt with a lease owner';
      if (job.attempt === 0 && job.progress !== 0)
        return 'pending before any attempt with progress';
      return null;
    case 'running':
      if (job.attempt < 1) return 'running at attempt 0';
      if (job.leaseOwner === null || job.leaseExpiresAt === null || job.startedAt === null)
        return 'running without lease or start';
      if (job.result !== null || job.finishedAt !== null)
        return 'running with a result or finish time';
      return null;
    case 'completed':
      if (!isDeepStrictEqual(job.result, expectedResult(p as { key: number; steps: number })))
        return `result ${JSON.stringify(job.result)} does not match params ${JSON.stringify(job.params)}`;
      if (job.progress !== 1) return `completed at progress ${job.progress}`;
      if (job.finishedAt === null) return 'completed without a finish time';
      if (p.final === true) return 'completed although its params fail it for good';
      if (typeof p.failAttempts === 'number' && job.attempt <= p.failAttempts)
        return `completed at attempt ${job.attempt}, which its params fail`;
      return null;
    case 'failed':
      if (job.error === null || job.finishedAt === null)
        return 'failed without an error or finish time';
      if (job.result !== null) return 'failed with a result';
      if (p.final === true && job.attempt === 1 && job.error.code !== FINAL_CODE)
        return `final failure with code ${job.error.code}`;
      return null;
    default:
      return `state ${job.state} (chaos never cancels)`;
  }
}

interface Seen {
  state: string;
  attempt: number;
  progress: number;
  /** The terminal version, to tell a repeat from a change. */
  terminal: string | null;
}

/** Within one attempt: pending before its first claim, running, then settled. */
const rank = (state: string, attempt: number) => (attempt === 0 ? 0 : state === 'running' ? 1 : 2);

export interface Violation {
  kind: 'backward' | 'afterTerminal' | 'completedTwice' | 'torn';
  jobId: string;
  detail: string;
}

/** One follower's latest sighting of each job, and the rules between sightings. */
export class JobViews {
  readonly jobs = new Map<string, Seen>();
  terminalCount = 0;
  /** The same terminal version seen again (not a violation: nothing changed). */
  repeats = 0;

  /** Records a sighting; returns what it violates (nothing, usually). */
  see(job: WireJob): Violation[] {
    const out: Violation[] = [];
    const torn = tornProblem(job);
    if (torn) out.push({ kind: 'torn', jobId: job.id, detail: torn });
    const before = this.jobs.get(job.id);
    const version = TERMINAL.has(job.state)
      ? JSON.stringify([
          job.state,
          job.attempt,
          job.progress,
          job.result,
          job.error,
          job.finishedAt,
        ])
      : null;
    if (before?.terminal != null) {
      if (version === before.terminal) {
        this.repeats++;
        return out;
      }
      const kind =
        before.state === 'completed' && job.state === 'completed'
          ? 'completedTwice'
          : 'afterTerminal';
      out.push({
        kind,
        jobId: job.id,
        detail: `${before.state} at attempt ${before.attempt}, then ${job.state} at attempt ${job.attempt}`,
      });
      return out; // keep the terminal sighting: every later change is reported against it
    }
    if (before) {
      if (job.attempt < before.attempt)
        out.push({
          kind: 'backward',
          jobId: job.id,
          detail: `attempt ${before.attempt} → ${job.attempt}`,
        });
      else if (job.attempt === before.attempt) {
        if (job.progress < before.progress)
          out.push({
            kind: 'backward',
            jobId: job.id,
            detail: `progress ${before.progress} → ${job.progress} in attempt ${job.attempt}`,
          });
        if (rank(job.state, job.attempt) < rank(before.state, before.attempt))
          out.push({
            kind: 'backward',
            jobId: job.id,
            detail: `${before.state} → ${job.state} in attempt ${job.attempt}`,
          });
      }
    }
    if (version !== null) this.terminalCount++;
    this.jobs.set(job.id, {
      state: job.state,
      attempt: job.attempt,
      progress: job.progress,
      terminal: version,
    });
    return out;
  }
}
