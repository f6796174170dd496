import { z } from 'zod';
import { defineJob } from '../index.ts';
import {
  buildUnit,
  type Outline,
  outlineTitle,
  toMarkdown,
  type Unit,
  unitCount,
  unitUsage,
} from './curriculum-content.ts';
import { paceMs } from './pace.ts';
import { sleep } from './sleep.ts';

const checkpoint = z.object({ unitsDone: z.number().int().min(0) });

/**
 * The origin's curriculum generator: an outline built one unit at a time, each step a
 * (simulated) model call. It heartbeats `{ unitsDone }` after every unit, so a retried
 * attempt skips the units already paid for, and it stops as soon as its signal fires.
 */
export const curriculum = defineJob({
  type: 'curriculum',
  description: 'Builds a curriculum outline for a subject and grade, one unit per step.',
  params: z.object({
    subject: z.string().trim().min(1).max(60).describe('e.g. math, science, history'),
    grade: z.number().int().min(1).max(12),
    paceMs,
    crashAfterUnit: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe(
        'Demo: the first attempt fails after this unit; the retry resumes from its checkpoint',
      ),
  }),
  run: async (ctx) => {
    const { subject, grade } = ctx.params;
    const total = unitCount(subject, grade);
    const parsed = checkpoint.safeParse(ctx.checkpoint);
    const resumeFrom = parsed.success ? Math.min(parsed.data.unitsDone, total) : 0;
    if (resumeFrom > 0)
      ctx.log(`resuming after unit ${resumeFrom}/${total}`, { attempt: ctx.attempt });
    else ctx.log(`building ${total} units`, { subject, grade });

    const units: Unit[] = [];
    let tokens = 0;
    let costUsd = 0;
    for (let i = 0; i < total; i++) {
      const unit = buildUnit(subject, grade, i);
      units.push(unit);
      // Units an earlier attempt finished are rebuilt for free: they are deterministic.
      if (i < resumeFrom) continue;
      await sleep(ctx.params.paceMs, ctx.signal);
      const spent = unitUsage(subject, grade, i);
      tokens += spent.tokens;
      costUsd += spent.costUsd;
      ctx.usage(spent);
      ctx.progress((i + 1) / (total + 1), `unit ${i + 1}/${total}: ${unit.title}`);
      ctx.heartbeat({ unitsDone: i + 1 });
      if (ctx.attempt === 1 && ctx.params.crashAfterUnit === i + 1) {
        throw new Error(`simulated crash after unit ${i + 1} (crashAfterUnit)`);
      }
    }

    await sleep(ctx.params.paceMs, ctx.signal);
    const outline: Outline = { subject, grade, title: outlineTitle(subject, grade), units };
    await ctx.artifacts.write('outline.md', toMarkdown(outline), {
      contentType: 'text/markdown; charset=utf-8',
    });
    await ctx.artifacts.write('outline.json', `${JSON.stringify(outline, null, 2)}\n`, {
      contentType: 'application/json',
    });
    ctx.progress(1, `outline written: ${total} units`);
    return {
      title: outline.title,
      units: total,
      weeks: units.reduce((sum, u) => sum + u.weeks, 0),
      resumedAfterUnit: resumeFrom,
      // What this attempt spent; the job's usage sums every attempt.
      tokens,
      costUsd: Math.round(costUsd * 1e6) / 1e6,
      artifacts: ['outline.md', 'outline.json'],
    };
  },
});
