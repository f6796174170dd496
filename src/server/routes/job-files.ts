/** A job's log lines and files: /api/jobs/{id}/logs, /artifacts, /artifacts/{name}. */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { assertArtifactName } from '../../core/artifact-name.ts';
import { KilnError } from '../../core/errors.ts';
import type { ArtifactInfo } from '../../core/model.ts';
import type { Kiln } from '../../kiln.ts';
import type { ServerDeps } from '../deps.ts';
import {
  ArtifactParams,
  ArtifactsSchema,
  errors,
  IdParam,
  json,
  LogsQuery,
  LogsSchema,
} from '../schemas/index.ts';
import { findJob } from './lookup.ts';
import { artifactBody, logEntryBody } from './wire.ts';

const tags = ['jobs'];

const logs = createRoute({
  method: 'get',
  path: '/api/jobs/{id}/logs',
  tags,
  summary: "The job's log lines, oldest first",
  request: { params: IdParam, query: LogsQuery },
  responses: {
    200: json(LogsSchema, 'Log lines after `afterId`; pass the last id back for more'),
    ...errors(400, 401, 404),
  },
});

const artifacts = createRoute({
  method: 'get',
  path: '/api/jobs/{id}/artifacts',
  tags,
  summary: 'The files the job wrote',
  request: { params: IdParam },
  responses: { 200: json(ArtifactsSchema, 'Files by name'), ...errors(401, 404) },
});

const download = createRoute({
  method: 'get',
  path: '/api/jobs/{id}/artifacts/{name}',
  tags,
  summary: 'Download one file',
  request: { params: ArtifactParams },
  responses: {
    200: {
      description: 'The bytes, with the content type the job gave (an attachment)',
      content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } },
    },
    ...errors(400, 401, 404),
  },
});

/**
 * The file's bytes as a stream. The embedded store keeps artifacts as files in the
 * job's folder: streamed from an open handle (a file pruned after the open still reads
 * to the end). Stores that keep them elsewhere hand over a buffer.
 */
async function artifactBytes(
  kiln: Kiln,
  info: ArtifactInfo,
): Promise<{ body: ReadableStream | Uint8Array<ArrayBuffer>; sizeBytes: number }> {
  const folder = kiln.artifacts.path(info.jobId);
  if (folder === null) {
    const data = await kiln.artifacts.read(info.jobId, info.name);
    return { body: new Uint8Array(data), sizeBytes: data.length };
  }
  // The name passed assertArtifactName (no separator, no '..'): join stays in the folder.
  const handle = await open(join(folder, info.name), 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') {
      throw new KilnError(
        'ARTIFACT_NOT_FOUND',
        `job ${info.jobId} has no artifact \`${info.name}\``,
      );
    }
    throw error;
  });
  // The size of what is open, not of the row: a job may have replaced the file since.
  const { size } = await handle.stat();
  return { body: Readable.toWeb(handle.createReadStream()) as ReadableStream, sizeBytes: size };
}

export function registerJobFileRoutes(app: OpenAPIHono, { kiln }: ServerDeps): void {
  app.openapi(logs, async (c) => {
    const job = await findJob(kiln, c.req.valid('param').id);
    const q = c.req.valid('query');
    const items = await kiln.jobs.logs(job.id, { afterId: q.afterId ?? 0, limit: q.limit ?? 100 });
    return c.json({ items: items.map(logEntryBody) }, 200);
  });

  app.openapi(artifacts, async (c) => {
    const job = await findJob(kiln, c.req.valid('param').id);
    return c.json({ items: (await kiln.artifacts.list(job.id)).map(artifactBody) }, 200);
  });

  app.openapi(download, async (c) => {
    const { id, name } = c.req.valid('param');
    // Names are checked before anything is looked up: `..`, `%2e%2e`, slashes and NUL
    // (decoded by the router) are refused as names, never resolved as paths.
    assertArtifactName(name);
    const job = await findJob(kiln, id);
    const info = (await kiln.artifacts.list(job.id)).find((a) => a.name === name);
    if (!info)
      throw new KilnError('ARTIFACT_NOT_FOUND', `job ${job.id} has no artifact \`${name}\``);
    const { body, sizeBytes } = await artifactBytes(kiln, info);
    return c.body(body, 200, {
      'content-type': info.contentType ?? 'application/octet-stream',
      'content-length': String(sizeBytes),
      'content-disposition': `attachment; filename="${name}"`,
      'x-content-type-options': 'nosniff',
    });
  });
}
