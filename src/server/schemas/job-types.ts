/** Job types: what the server can run, with params as JSON Schema so a client can build a form. */
import { z } from '@hono/zod-openapi';

export const JobTypeSchema = z
  .object({
    type: z.string(),
    description: z.string().nullable(),
    paramsSchema: z.record(z.string(), z.unknown()).nullable().openapi({
      description:
        "The params as JSON Schema (draft 2020-12, input side); null when the type's schema library cannot describe itself",
    }),
    maxAttempts: z.number().int(),
    timeoutMs: z.number().int().nullable(),
    concurrency: z.number().int().nullable(),
    retentionMs: z.number().int(),
  })
  .openapi('JobType');
export type JobTypeBody = z.infer<typeof JobTypeSchema>;

export const JobTypesSchema = z.object({ items: z.array(JobTypeSchema) }).openapi('JobTypes');
