/**
 * The chaos job type, loaded into `kiln worker` processes with `--jobs` (and into the
 * server, which validates enqueues against the same schema). Its params say everything
 * it will do: how long it runs, how many progress reports, how many attempts fail
 * (retryably) before it succeeds, or whether it fails for good. Its result is a pure
 * function of its params (`expectedResult`), so the checker can verify every result.
 *
 * Every attempt appends `start <jobId> <attempt> <pid>` when it begins and `done …` just
 * before it returns its result, to a file of its own process in $KILN_CHAOS_LOG. One
 * `appendFileSync` is one write(2) to an O_APPEND file: a SIGKILL cannot tear a line.
 * The checker compares these lines with the store: a handler that returned but whose
 * completion did not commit must have left a record of its attempt ending otherwise.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { defineJob, NonRetryableError } from '../../src/index.ts';

export const CHAOS_TYPE = 'chaos';
export const FINAL_CODE = 'CHAOS_FINAL';
/** Generous: kills also use up attempts, and a job must not fail for want of them. */
export const CHAOS_ATTEMPTS = 30;

export const chaosParams = z.object({
  /** The input the result is computed from. */
  key: z.number().int().min(0),
  /** Total run time of a successful attempt, spread over the steps. */
  ms: z.number().int().min(0).max(600_000),
  /** Progress reports per attempt: `step i/steps of attempt a` at i/steps. */
  steps: z.number().int().min(1).max(100),
  /** Attempts 1..failAttempts throw a retryable error halfway through. */
  failAttempts: z.number().int().min(0).max(10).default(0),
  /** Throw a NonRetryableError halfway through the first attempt. */
  final: z.boolean().default(false),
});

export type ChaosParams = z.output<typeof chaosParams>;

/** FNV-1a over a string: a cheap deterministic digest. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** The only result a job with these params may complete with. */
export function expectedResult(p: Pick<ChaosParams, 'key' | 'steps'>): {
  key: number;
  digest: string;
} {
  return { key: p.key, digest: fnv1a(`chaos:${p.key}:${p.steps}`) };
}

/** The progress message of step `i`: the attempt in it lets a reader catch a torn row. */
export function stepMessage(i: number, steps: number, attempt: number): string {
  return `step ${i}/${steps} of attempt ${attempt}`;
}

const logDir = process.env.KILN_CHAOS_LOG;
const logFile = logDir ? join(logDir, `attempts-${process.pid}.log`) : undefined;
const note = (what: string, id: string, attempt: number) => {
  if (logFile) appendFileSync(logFile, `${what} ${id} ${attempt} ${process.pid}\n`);
};

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}

export const chaosJob = defineJob({
  type: CHAOS_TYPE,
  params: chaosParams,
  // Short backoff: a stalled job's recovery time includes it.
  retry: { attempts: CHAOS_ATTEMPTS, backoff: { baseMs: 10, maxMs: 100 } },
  run: async (ctx) => {
    const p = ctx.params;
    note('start', ctx.jobId, ctx.attempt);
    const failAt = p.final || ctx.attempt <= p.failAttempts ? Math.ceil(p.steps / 2) : -1;
    for (let i = 1; i <= p.steps; i++) {
      await sleep(p.ms / p.steps, ctx.signal);
      ctx.progress(i / p.steps, stepMessage(i, p.steps, ctx.attempt));
      if (i === failAt) {
        if (p.final) throw new NonRetryableError('failing for good', { code: FINAL_CODE });
        throw new Error(`failing on purpose at attempt ${ctx.attempt}`);
      }
    }
    note('done', ctx.jobId, ctx.attempt);
    return expectedResult(p);
  },
});
