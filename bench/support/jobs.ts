/**
 * Job types shared by the bench process (which enqueues them) and the worker child
 * processes (which run them). Handlers record what the bench measures in module-level
 * sinks that the worker entry (bench/support/worker.ts) sends to the parent.
 */
import { z } from 'zod';
import { defineJob } from '../../src/index.ts';

import { nowMs } from './clock.ts';

/** What the handlers record; read by the worker entry, never by the handlers' callers. */
export const sinks = {
  /** W3: [enqueue time, handler start time] per job, both from nowMs(). */
  latency: [] as [number, number][],
  /** W4: per job id, the time of each ctx.progress(i / n) call, i = 1..n. */
  progress: new Map<string, number[]>(),
  /** W5: called when a `hold` handler starts. */
  onHoldStart: undefined as ((attempt: number, atMs: number) => void) | undefined,
};

/** W1, W2: does nothing. */
export const noop = defineJob({
  type: 'bench.noop',
  params: z.object({ i: z.number().int() }),
  run: () => null,
});

/** W3: records when its handler started, next to the enqueue time it carries. */
export const latency = defineJob({
  type: 'bench.latency',
  params: z.object({ t: z.number() }),
  run: (ctx) => {
    sinks.latency.push([ctx.params.t, nowMs()]);
    return null;
  },
});

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * W4: reports `reports` rising progress values as fast as it can, yielding one
 * event-loop tick (setImmediate) between reports so the worker's flush can interleave.
 */
export const progress = defineJob({
  type: 'bench.progress',
  params: z.object({ reports: z.number().int().min(1) }),
  run: async (ctx) => {
    const n = ctx.params.reports;
    const times = new Array<number>(n);
    for (let i = 1; i <= n; i++) {
      times[i - 1] = nowMs();
      ctx.progress(i / n);
      await tick();
    }
    sinks.progress.set(ctx.jobId, times);
    return null;
  },
});

/**
 * W5: the first attempt holds the job until its signal fires (or 120 s pass), so the
 * bench can kill its worker; any later attempt returns at once.
 */
export const hold = defineJob({
  type: 'bench.hold',
  params: z.object({}),
  run: async (ctx) => {
    sinks.onHoldStart?.(ctx.attempt, nowMs());
    if (ctx.attempt > 1) return null;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 120_000);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return null;
  },
});

/**
 * W8: `reports` progress reports `everyMs` apart, each with its number as the message,
 * so an event-stream client can tell which reports an event covers.
 */
export const fanout = defineJob({
  type: 'bench.fanout',
  params: z.object({ reports: z.number().int().min(1), everyMs: z.number().int().min(0) }),
  run: async (ctx) => {
    const { reports, everyMs } = ctx.params;
    const times = new Array<number>(reports);
    for (let i = 1; i <= reports; i++) {
      times[i - 1] = nowMs();
      ctx.progress(i / reports, String(i));
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
    sinks.progress.set(ctx.jobId, times);
    return null;
  },
});

export const allJobs = [noop, latency, progress, hold, fanout];
