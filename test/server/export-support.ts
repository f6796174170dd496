/**
 * A server with only the batch export on it, for the export's own tests (the whole app
 * is tested with the other routes): real HTTP on 127.0.0.1, a port of its own. Also
 * used as a child process's server (export-memory.test.ts) through export-server.ts.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { defineJob, type Kiln } from '../../src/index.ts';
import type { Logger, ServerDeps } from '../../src/server/deps.ts';
import { errorResponse } from '../../src/server/errors.ts';
import { registerExport } from '../../src/server/export/route.ts';

/** Writes `files` artifacts of `bytes` bytes each (random unless `text`), then returns. */
export const reportJob = defineJob({
  type: 'report',
  params: z.object({
    files: z.number().int().min(0).default(1),
    bytes: z.number().int().min(0).default(100),
    text: z.boolean().default(true),
    fail: z.boolean().default(false),
  }),
  retry: { attempts: 1 },
  run: async (ctx) => {
    for (let i = 0; i < ctx.params.files; i++) {
      const data = ctx.params.text
        ? `# ${ctx.jobId} file ${i}\n`.padEnd(ctx.params.bytes, '.')
        : randomBytes(ctx.params.bytes);
      await ctx.artifacts.write(`file-${i}.${ctx.params.text ? 'md' : 'bin'}`, data, {
        contentType: ctx.params.text ? 'text/markdown' : 'application/octet-stream',
      });
    }
    ctx.usage({ tokens: 10, costUsd: 0.01 });
    if (ctx.params.fail) throw new Error('failing after writing');
    return { files: ctx.params.files };
  },
});

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65_536) crypto.getRandomValues(out.subarray(i, i + 65_536));
  return out;
}

export interface ExportServer {
  url: string;
  close(): Promise<void>;
}

export async function exportServer(kiln: Kiln, log: Logger = () => {}): Promise<ExportServer> {
  const deps: ServerDeps = {
    kiln,
    token: undefined,
    bodyLimitBytes: 1 << 20,
    log,
    worker: undefined,
  };
  const app = new OpenAPIHono();
  app.onError((error, c) => errorResponse(c, error));
  registerExport(app, deps);
  app.doc31('/openapi.json', { openapi: '3.1.0', info: { title: 'test', version: '1' } });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      (server as unknown as { closeAllConnections(): void }).closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
