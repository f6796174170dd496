/**
 * One test job type whose params choose its behaviour (compare Oban's test worker):
 * succeed, throw, throw non-retryable, hang, sleep, report progress. Used in-process
 * and by worker child processes, which import this module by URL.
 */
import { appendFileSync, existsSync } from 'node:fs';
import { z } from 'zod';
import { defineJob, NonRetryableError } from '../../src/index.ts';

export const behaviour = z.object({
  action: z
    .enum(['succeed', 'throw', 'throw-final', 'hang', 'sleep', 'progress', 'checkpoint'])
    .default('succeed'),
  /** sleep/hang: how long (hang ignores the signal). */
  ms: z.number().int().min(0).default(0),
  /** sleep: also wait until this file exists (checked every 10 ms), so a test decides when it ends. */
  until: z.string().optional(),
  /** progress: how many reports, evenly spaced over `ms`. */
  steps: z.number().int().min(1).default(10),
  /** Returned as the result (and checked by tests against the params). */
  value: z.unknown().optional(),
  /** Append "<jobId> <attempt> <pid>" to this file when the handler starts. */
  startLog: z.string().optional(),
  /** Append "<jobId> <attempt> <pid>" to this file when the handler ends successfully. */
  doneLog: z.string().optional(),
});

export type Behaviour = z.input<typeof behaviour>;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason);
    });
  });
}

async function perform(ctx: import('../../src/index.ts').JobContext<z.output<typeof behaviour>>) {
  const p = ctx.params;
  if (p.startLog) appendFileSync(p.startLog, `${ctx.jobId} ${ctx.attempt} ${process.pid}\n`);
  switch (p.action) {
    case 'throw':
      throw new Error(`failing on purpose (attempt ${ctx.attempt})`);
    case 'throw-final':
      throw new NonRetryableError('failing for good', { code: 'TEST_FINAL' });
    case 'hang':
      await new Promise((resolve) => setTimeout(resolve, p.ms || 3_600_000));
      break;
    case 'sleep':
      await sleep(p.ms, ctx.signal);
      while (p.until !== undefined && !existsSync(p.until)) await sleep(10, ctx.signal);
      break;
    case 'progress':
      for (let i = 1; i <= p.steps; i++) {
        ctx.progress(i / p.steps, `step ${i}/${p.steps}`);
        await sleep(p.ms / p.steps, ctx.signal);
      }
      break;
    case 'checkpoint': {
      const from = (ctx.checkpoint as { done?: number } | undefined)?.done ?? 0;
      for (let i = from + 1; i <= p.steps; i++) {
        ctx.heartbeat({ done: i });
        ctx.progress(i / p.steps);
        await sleep(p.ms / p.steps, ctx.signal);
      }
      return { resumedFrom: from, value: p.value ?? null };
    }
    default:
      break;
  }
  if (p.doneLog) appendFileSync(p.doneLog, `${ctx.jobId} ${ctx.attempt} ${process.pid}\n`);
  return { value: p.value ?? null, attempt: ctx.attempt };
}

export const testJob = defineJob({
  type: 'test',
  params: behaviour,
  retry: { attempts: 3, backoff: { baseMs: 10, maxMs: 50 } },
  run: perform,
});

/** At most 3 running at once over every worker of the store. */
export const cappedJob = defineJob({
  type: 'test-capped',
  params: behaviour,
  concurrency: 3,
  run: perform,
});

/** The same handler in a child process per attempt. */
export const isolatedJob = defineJob({
  type: 'test-isolated',
  params: behaviour,
  isolation: 'process',
  module: import.meta.url,
  retry: { attempts: 2, backoff: { baseMs: 10, maxMs: 50 } },
  run: perform,
});

/** Heartbeat timeout for hung handlers. */
export const watchedJob = defineJob({
  type: 'test-watched',
  params: behaviour,
  // 1 s: a busy two-core machine can stall an event loop for a few hundred ms.
  heartbeatTimeoutMs: 1_000,
  retry: { attempts: 1 },
  run: perform,
});

export const testJobs = [testJob, cappedJob, isolatedJob, watchedJob];
