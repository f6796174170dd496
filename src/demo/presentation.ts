import { z } from 'zod';
import { defineJob } from '../index.ts';
import { paceMs } from './pace.ts';
import { deckPage, slideFileName, slidePage, slideSection } from './presentation-html.ts';
import { sleep } from './sleep.ts';

/** As in the origin: the job and every file it made go 5 minutes after it ends. */
export const PRESENTATION_RETENTION_MS = 5 * 60_000;

const checkpoint = z.object({ slidesDone: z.number().int().min(0) });

/**
 * The origin's presentation service: renders each slide to `slide-NN.html`, reporting
 * progress and heartbeating `{ slidesDone }` per slide (a retry skips the slides whose
 * files exist), then combines them into `deck.html`.
 */
export const presentation = defineJob({
  type: 'presentation',
  description: 'Renders slides to HTML files, then one HTML deck; files kept 5 minutes.',
  retentionMs: PRESENTATION_RETENTION_MS,
  params: z.object({
    title: z.string().trim().min(1).max(200),
    slides: z
      .array(z.object({ title: z.string().trim().min(1).max(200), body: z.string().max(5_000) }))
      .min(1)
      .max(50),
    paceMs,
  }),
  run: async (ctx) => {
    const { title, slides } = ctx.params;
    const total = slides.length;
    const parsed = checkpoint.safeParse(ctx.checkpoint);
    const resumeFrom = parsed.success ? Math.min(parsed.data.slidesDone, total) : 0;
    if (resumeFrom > 0)
      ctx.log(`resuming after slide ${resumeFrom}/${total}`, { attempt: ctx.attempt });

    const files: string[] = [];
    for (let i = 0; i < total; i++) {
      const slide = slides[i]!;
      const name = slideFileName(i + 1);
      files.push(name);
      if (i < resumeFrom) continue;
      await sleep(ctx.params.paceMs, ctx.signal);
      await ctx.artifacts.write(name, slidePage(title, slide, i + 1, total), {
        contentType: 'text/html; charset=utf-8',
      });
      ctx.progress((i + 1) / (total + 1), `slide ${i + 1}/${total}: ${slide.title}`);
      ctx.heartbeat({ slidesDone: i + 1 });
    }

    await sleep(ctx.params.paceMs, ctx.signal);
    const sections = slides.map((slide, i) => slideSection(slide, i + 1, total));
    await ctx.artifacts.write('deck.html', deckPage(title, sections), {
      contentType: 'text/html; charset=utf-8',
    });
    files.push('deck.html');
    ctx.progress(1, `deck written: ${total} slides`);
    return { title, slides: total, resumedAfterSlide: resumeFrom, artifacts: files };
  },
});
