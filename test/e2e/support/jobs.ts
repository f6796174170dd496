/**
 * The job types and templates of the browser tests' server (`kiln serve --jobs` this
 * module). Fast and param-driven: `e2e.steps` reports `steps` progress values with a
 * message, `everyMs` apart, writes an artifact and returns a result; `fail` and `hang`
 * make it fail or wait for its cancel (on every attempt, or on the first only, so that
 * a retry succeeds). `e2e.report` is the latency job: each message carries the time of
 * its report. The demo types come along for the views' screenshots.
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { nowMs } from '../../../bench/support/clock.ts';
import { curriculum, presentation } from '../../../src/demo/index.ts';
import { defineJob, defineTemplate, NonRetryableError } from '../../../src/index.ts';

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason);
    });
  });
}

const when = z.enum(['never', 'first-attempt', 'always']).default('never');
const happens = (w: z.output<typeof when>, attempt: number) =>
  w === 'always' || (w === 'first-attempt' && attempt === 1);

export const steps = defineJob({
  type: 'e2e.steps',
  description: 'Reports `steps` progress values, `everyMs` apart; can fail or hang.',
  params: z.object({
    label: z.string().min(1).max(40).default('job'),
    steps: z.number().int().min(1).max(1000).default(5),
    everyMs: z.number().int().min(0).max(10_000).default(50),
    fail: when.describe('Fail for good after the last step (no automatic retry)'),
    hang: when.describe('Wait after the first step until cancelled (or `until` exists)'),
    /** hang: also end when this file exists, so a test decides when a hang is over. */
    until: z.string().optional(),
  }),
  // A crashed server's attempts run again (the restart test); `fail` is final at once.
  retry: { attempts: 3, backoff: { baseMs: 10, maxMs: 50 } },
  run: async (ctx) => {
    const p = ctx.params;
    ctx.log(`starting ${p.label}: ${p.steps} steps`, { attempt: ctx.attempt });
    for (let i = 1; i <= p.steps; i++) {
      ctx.progress(i / (p.steps + 1), `${p.label} step ${i}/${p.steps}`);
      ctx.usage({ tokens: 10, costUsd: 0.001 });
      if (i === 1 && happens(p.hang, ctx.attempt)) {
        ctx.log('hanging until cancelled');
        while (p.until === undefined || !existsSync(p.until)) {
          await sleep(20, ctx.signal);
          ctx.heartbeat();
        }
      }
      await sleep(p.everyMs, ctx.signal);
    }
    if (happens(p.fail, ctx.attempt))
      throw new NonRetryableError(`${p.label} failing on purpose (attempt ${ctx.attempt})`, {
        code: 'E2E_FAIL',
      });
    await ctx.artifacts.write(`${p.label}.txt`, `label=${p.label}\nsteps=${p.steps}\n`, {
      contentType: 'text/plain; charset=utf-8',
    });
    ctx.progress(1, `${p.label} done`);
    return { label: p.label, steps: p.steps, attempt: ctx.attempt };
  },
});

/**
 * The latency job: `reports` progress values `everyMs` apart; report k's message is
 * `k@<time of the report>` (nowMs()), so a page that shows it can tell how late it is.
 * The result lists every report's time, the skipped (coalesced) ones included.
 */
export const report = defineJob({
  type: 'e2e.report',
  description: 'Reports `reports` progress values whose messages carry their report time.',
  params: z.object({
    reports: z.number().int().min(1).max(10_000).default(20),
    everyMs: z.number().int().min(0).max(10_000).default(50),
    /** Wait until this file exists (checked every 5 ms), so the reports start when told. */
    startFile: z.string().optional(),
    /** Then wait this long before the first report (spreads the jobs' reports over time). */
    offsetMs: z.number().min(0).max(10_000).default(0),
  }),
  retry: { attempts: 1 },
  run: async (ctx) => {
    const { reports, everyMs, offsetMs, startFile } = ctx.params;
    while (startFile !== undefined && !existsSync(startFile)) {
      await sleep(5, ctx.signal);
      ctx.heartbeat();
    }
    if (offsetMs > 0) await sleep(offsetMs, ctx.signal);
    const times: number[] = [];
    // Each report on its own schedule from the first, so a late timer does not shift the rest.
    const first = nowMs();
    for (let k = 1; k <= reports; k++) {
      const wait = first + (k - 1) * everyMs - nowMs();
      if (wait > 0) await sleep(wait, ctx.signal);
      const at = nowMs();
      times.push(at);
      ctx.progress(k / reports, `${k}@${at.toFixed(3)}`);
    }
    return { reports, times };
  },
});

/** 2 labels × 2 step counts = 4 jobs by default. */
export const gridTemplate = defineTemplate({
  name: 'e2e-grid',
  type: steps,
  description: 'A small grid of fast step jobs.',
  params: { everyMs: 40 },
  grid: { label: ['alpha', 'beta'], steps: [3, 4] },
});

export const e2eJobs = [steps, report, curriculum, presentation];
export const e2eTemplates = [gridTemplate];
