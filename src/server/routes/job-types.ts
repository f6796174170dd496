/** GET /api/job-types: what this server can run, with params as JSON Schema for forms. */

import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { StandardJSONSchemaV1 } from '@standard-schema/spec';
import type { AnyJobDefinition } from '../../core/define-job.ts';
import type { ServerDeps } from '../deps.ts';
import { errors, type JobTypeBody, JobTypesSchema, json } from '../schemas/index.ts';

const route = createRoute({
  method: 'get',
  path: '/api/job-types',
  tags: ['job types'],
  summary: 'Job types with their params as JSON Schema',
  responses: { 200: json(JobTypesSchema, 'Every job type, by name'), ...errors(401) },
});

/**
 * The params' JSON Schema through the Standard JSON Schema extension (zod 4, arktype
 * and valibot's adapter offer it), input side: what a client may send, defaults
 * optional. null when the library offers none or cannot express the schema (a
 * transform, a custom check): a client then shows a free JSON field.
 */
export function paramsJsonSchema(def: AnyJobDefinition): Record<string, unknown> | null {
  const std = (def.params as Partial<StandardJSONSchemaV1>)['~standard'];
  const convert = std?.jsonSchema?.input;
  if (typeof convert !== 'function') return null;
  try {
    return convert({ target: 'draft-2020-12' });
  } catch {
    return null;
  }
}

export function jobTypeBody(def: AnyJobDefinition): JobTypeBody {
  return {
    type: def.type,
    description: def.description ?? null,
    paramsSchema: paramsJsonSchema(def),
    maxAttempts: def.maxAttempts,
    timeoutMs: def.timeoutMs ?? null,
    concurrency: def.concurrency ?? null,
    retentionMs: def.retentionMs,
  };
}

export function registerJobTypeRoutes(app: OpenAPIHono, { kiln }: ServerDeps): void {
  // Definitions do not change while the server runs: their schemas are converted once.
  let items: JobTypeBody[] | undefined;
  app.openapi(route, (c) => {
    items ??= kiln.jobTypes.map(jobTypeBody).sort((a, b) => a.type.localeCompare(b.type));
    return c.json({ items }, 200);
  });
}
