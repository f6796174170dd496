/** `GET /api/batches/{id}/export`: a batch's results and artifacts as one streamed ZIP. */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { ServerDeps } from '../deps.ts';
import { findBatch } from '../routes/lookup.ts';
import { errors, IdParam } from '../schemas/index.ts';
import { batchArchive } from './batch-archive.ts';
import { attachmentDisposition } from './disposition.ts';
import { pullStream, zipChunks } from './zip-stream.ts';

const exportRoute = createRoute({
  method: 'get',
  path: '/api/batches/{id}/export',
  tags: ['batches'],
  summary: "Download a batch's results and artifacts as a ZIP",
  description:
    'Streams a ZIP: `artifacts/<job folder>/<artifact name>` for every artifact of every job ' +
    '(job folders are the job names made file-name safe and unique, or the job ids), then ' +
    '`results.json`: `{ exportedAt, batch, jobs: [{ id, name, type, state, params, result, ' +
    'error, attempt, usage, …times, artifacts: [{ name, path, sizeBytes, contentType }] }] }`. ' +
    'A failure after the first byte aborts the connection, so a truncated archive never ' +
    'looks complete.',
  request: { params: IdParam },
  responses: {
    200: {
      description: 'The ZIP, streamed',
      content: { 'application/zip': { schema: z.string().openapi({ format: 'binary' }) } },
    },
    ...errors(401, 404),
  },
});

export function registerExport(app: OpenAPIHono, deps: ServerDeps): void {
  app.openapi(exportRoute, async (c) => {
    const { id } = c.req.valid('param');
    // Before any byte of the ZIP: an unknown batch throws, and the app answers a plain 404.
    const batch = await findBatch(deps.kiln, id);
    // On Node, the socket itself: destroyed on failure, whatever the adapter then does
    // with the errored stream, so the client cannot mistake a cut archive for a whole one.
    const outgoing = (c.env as { outgoing?: { destroy(error?: Error): void } } | undefined)
      ?.outgoing;
    const body = pullStream(zipChunks(batchArchive(deps.kiln, batch, new Date())), (error) => {
      deps.log('error', 'export:failed', {
        batchId: batch.id,
        error: error instanceof Error ? error.message : String(error),
      });
      outgoing?.destroy(error instanceof Error ? error : new Error(String(error)));
    });
    return new Response(body, {
      status: 200,
      headers: {
        'content-type': 'application/zip',
        'content-disposition': attachmentDisposition(batch.name, 'zip'),
        // A snapshot of a batch that may still change: never served from a cache.
        'cache-control': 'no-store',
      },
    });
  });
}
