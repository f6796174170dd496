/**
 * Job types the guarantee tests need beyond test/support/test-jobs.ts. Worker processes
 * and the test process both import this module, so enqueue-side validation and the
 * handlers agree.
 */
import { appendFileSync, existsSync } from 'node:fs';
import { z } from 'zod';
import { defineJob, KilnError } from '../../../src/index.ts';
import { testJobs } from '../../support/test-jobs.ts';

export const RETENTION_MS = 3_000;

/** Writes two artifacts and two log lines, optionally after a sleep; kept RETENTION_MS. */
export const retainedJob = defineJob({
  type: 'retained',
  params: z.object({ tag: z.string(), sleepMs: z.number().int().min(0).default(0) }),
  retentionMs: RETENTION_MS,
  run: async (ctx) => {
    ctx.log('info', `retained ${ctx.params.tag} starting`);
    await ctx.artifacts.write('report.md', `# ${ctx.params.tag}\n`, {
      contentType: 'text/markdown',
    });
    if (ctx.params.sleepMs > 0) await new Promise((r) => setTimeout(r, ctx.params.sleepMs));
    await ctx.artifacts.write('data.json', JSON.stringify({ tag: ctx.params.tag }));
    ctx.log('info', `retained ${ctx.params.tag} done`);
    return { tag: ctx.params.tag };
  },
});

/**
 * For the zombie test. Attempt 1 logs its start, then waits for `releaseFile` to exist
 * while ignoring its abort signal (as a frozen or careless handler would), then tries to
 * write progress, a log line, an artifact and a result. Later attempts report progress
 * 0.5, wait for `holdFile` if given, then write their artifact and finish.
 * Each step is appended to `log` as "<event> <attempt> <pid> [detail]".
 */
export const zombieJob = defineJob({
  type: 'zombie',
  params: z.object({ log: z.string(), releaseFile: z.string(), holdFile: z.string().optional() }),
  retry: { attempts: 3, backoff: { baseMs: 10, maxMs: 20, jitter: 0 } },
  run: async (ctx) => {
    const note = (event: string, detail = '') =>
      appendFileSync(ctx.params.log, `${event} ${ctx.attempt} ${process.pid} ${detail}\n`);
    note('start');
    if (ctx.attempt === 1) {
      ctx.progress(0.1, 'first attempt running');
      while (!existsSync(ctx.params.releaseFile)) await new Promise((r) => setTimeout(r, 5));
      note('released');
      ctx.progress(0.99, 'zombie progress');
      ctx.log('warn', 'zombie log line');
      try {
        await ctx.artifacts.write('out.txt', 'written by the zombie');
        note('artifact', 'written');
      } catch (error) {
        note('artifact', error instanceof KilnError ? error.code : 'error');
      }
      // Reported after the worker has (most likely) noticed the lost lease, so the worker
      // sends it to the store, which must refuse it.
      ctx.progress(0.995, 'zombie progress');
      await new Promise((r) => setTimeout(r, 50));
      note('return');
      return { by: 'zombie', attempt: ctx.attempt };
    }
    ctx.progress(0.5, 'second attempt halfway');
    const hold = ctx.params.holdFile;
    if (hold) while (!existsSync(hold)) await new Promise((r) => setTimeout(r, 5));
    await ctx.artifacts.write('out.txt', 'written by the second attempt');
    ctx.log('info', 'second attempt log line');
    note('return');
    return { by: 'second', attempt: ctx.attempt };
  },
});

export const guaranteeJobs = [...testJobs, retainedJob, zombieJob];
