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

/** What `unstorable` hands over: a value JSON cannot hold, or text with a NUL in it. */
export const unstorableParams = z.object({
  what: z.enum(['result-bigint', 'result-cycle', 'log-fields', 'heartbeat', 'nul-text']),
});

function cycle(): Record<string, unknown> {
  const o: Record<string, unknown> = { a: 1 };
  o.self = o;
  return o;
}

async function handOverUnstorable(ctx: JobContext<z.output<typeof unstorableParams>>) {
  switch (ctx.params.what) {
    case 'result-bigint':
      return { n: 10n } as unknown as object;
    case 'result-cycle':
      return cycle();
    case 'log-fields':
      ctx.log('cyclic fields', cycle());
      return { logged: true };
    case 'heartbeat':
      try {
        ctx.heartbeat(cycle());
        return { refused: null };
      } catch (error) {
        return { refused: (error as { code?: string }).code ?? String(error) };
      }
    case 'nul-text':
      ctx.progress(0.5, 'half\u0000way');
      ctx.log('a NUL: \u0000', { s: '\u0000' });
      return { s: 'result \u0000' };
  }
}

export const unstorableJob = defineJob({
  type: 'unstorable',
  params: unstorableParams,
  retry: { attempts: 1 },
  run: handOverUnstorable,
});

export const unstorableIsolatedJob = defineJob({
  type: 'unstorable-isolated',
  params: unstorableParams,
  retry: { attempts: 1 },
  isolation: 'process',
  module: import.meta.url,
  run: handOverUnstorable,
});
