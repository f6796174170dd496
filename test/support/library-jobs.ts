/**
 * Job types for the library-behaviour tests that need a module of their own (an
 * isolated handler is loaded by URL in its child process): one handler that uses
 * every part of its context, inline and isolated.
 */
import { z } from 'zod';
import { defineJob, type JobContext } from '../../src/index.ts';

export const richParams = z.object({
  logs: z.array(z.string()).default([]),
  tokens: z.number().default(0),
  costUsd: z.number().default(0),
  /** Artifacts to write, name → text. */
  files: z.record(z.string(), z.string()).default({}),
  /** Names to try writing; the error code each was refused with is returned. */
  badNames: z.array(z.string()).default([]),
  progress: z.number().min(0).max(1).optional(),
});

async function useContext(ctx: JobContext<z.output<typeof richParams>>) {
  const p = ctx.params;
  for (const [i, line] of p.logs.entries()) ctx.log(line, { i });
  ctx.log('warn', 'a warning', { level: 'w' });
  if (p.tokens || p.costUsd) ctx.usage({ tokens: p.tokens, costUsd: p.costUsd });
  if (p.progress !== undefined) ctx.progress(p.progress, 'reported');
  for (const [name, text] of Object.entries(p.files))
    await ctx.artifacts.write(name, text, { contentType: 'text/plain' });
  const refused: Record<string, string> = {};
  for (const name of p.badNames) {
    try {
      await ctx.artifacts.write(name, 'nope');
      refused[name] = 'written';
    } catch (error) {
      refused[name] = (error as { code?: string }).code ?? String(error);
    }
  }
  const listed = (await ctx.artifacts.list()).map((a) => a.name);
  const readBack: Record<string, string> = {};
  for (const name of listed) readBack[name] = (await ctx.artifacts.read(name)).toString('utf8');
  return { pid: process.pid, refused, listed, readBack };
}

export const richJob = defineJob({ type: 'rich', params: richParams, run: useContext });

export const richIsolatedJob = defineJob({
  type: 'rich-isolated',
  params: richParams,
  isolation: 'process',
  module: import.meta.url,
  run: useContext,
});
