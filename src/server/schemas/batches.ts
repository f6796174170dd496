/** Batches: a list of jobs or a template over a grid in, the batch with its aggregate out. */
import { z } from '@hono/zod-openapi';
import {
  CursorQuery,
  JsonObject,
  LimitQuery,
  NullableTime,
  Priority,
  pageOf,
  Time,
  TimeInput,
  Usage,
} from './common.ts';
import { BatchWebhookSchema, WebhookSchema } from './webhooks.ts';

export const GridSchema = z.record(z.string(), z.array(z.unknown()).min(1)).openapi('Grid', {
  description: 'Each key lists the values it takes; one job per combination',
  example: { subject: ['math', 'science'], grade: [3, 4] },
});

export const BatchJobSchema = z
  .strictObject({
    type: z.string().min(1).max(64),
    params: z
      .unknown()
      .optional()
      .openapi({ description: "Checked against the job type's schema; default `{}`" }),
    name: z.string().min(1).max(200).optional(),
    priority: Priority.optional(),
  })
  .openapi('BatchJob');

/**
 * One strict object rather than a union of the two forms: a body with both `jobs` and
 * `template` (or neither) then gets one clear message instead of a union's two lists.
 */
export const CreateBatchSchema = z
  .strictObject({
    name: z.string().min(1).max(200).optional(),
    metadata: JsonObject.optional().openapi({ description: 'Free-form, kept with the batch' }),
    priority: Priority.optional(),
    runAt: TimeInput.optional(),
    jobs: z
      .array(BatchJobSchema)
      .min(1)
      .max(100_000)
      .optional()
      .openapi({ description: 'The jobs, or use `template`' }),
    template: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: 'A template name, or use `jobs`' }),
    grid: GridSchema.optional().openapi({
      description: "With `template`: overrides the template's grid",
    }),
    params: JsonObject.optional().openapi({
      description: "With `template`: merged over the template's params",
    }),
    webhook: WebhookSchema.optional().openapi({
      description: "POSTed a signed summary when the batch ends; default: the template's",
    }),
    concurrency: z.number().int().min(1).max(1_000_000).optional().openapi({
      description: "At most this many of the batch's jobs run at once, over every worker",
    }),
  })
  .superRefine((b, ctx) => {
    if ((b.jobs === undefined) === (b.template === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'give either `jobs` or `template`, not both',
      });
    }
    if (b.jobs !== undefined && (b.grid !== undefined || b.params !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [b.grid !== undefined ? 'grid' : 'params'],
        message: '`grid` and `params` go with `template`, not `jobs`',
      });
    }
  })
  .openapi('CreateBatch');
export type CreateBatchRequest = z.infer<typeof CreateBatchSchema>;

export const BatchStateSchema = z
  .enum(['pending', 'running', 'paused', 'completed', 'failed', 'cancelled'])
  .openapi('BatchState');

export const BatchCountsSchema = z.object({
  total: z.number().int(),
  pending: z.number().int(),
  running: z.number().int(),
  completed: z.number().int(),
  failed: z.number().int(),
  cancelled: z.number().int(),
});

export const BatchSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    template: z.string().nullable(),
    paused: z.boolean(),
    cancelled: z.boolean(),
    metadata: JsonObject.nullable(),
    concurrency: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'Cap on its running jobs over every worker; null: none' }),
    createdAt: Time,
    seq: z.number().int(),
    state: BatchStateSchema,
    counts: BatchCountsSchema,
    progress: z
      .number()
      .min(0)
      .max(1)
      .openapi({ description: 'Mean over its jobs; a finished job counts as 1' }),
    usage: Usage.extend({ seconds: z.number() }),
    startedAt: NullableTime,
    finishedAt: NullableTime,
    etaMs: z
      .number()
      .nullable()
      .openapi({ description: 'Estimated ms to finish; null when unknown or finished' }),
    webhook: BatchWebhookSchema.nullable().openapi({
      description: "The completion webhook's delivery (docs/API.md, Webhooks); null without one",
    }),
  })
  .openapi('Batch');
export type BatchBody = z.infer<typeof BatchSchema>;

export const BatchPageSchema = pageOf(BatchSchema).openapi('BatchPage');
export type BatchPageBody = z.infer<typeof BatchPageSchema>;

export const BATCH_STATES = BatchStateSchema.options;

export const ListBatchesQuery = z.strictObject({
  state: z
    .string()
    .optional()
    .openapi({
      description: `Comma-separated: ${BATCH_STATES.join(', ')}`,
      example: 'running,paused',
    }),
  q: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .openapi({ description: 'Case-insensitive substring of the name' }),
  template: z.string().min(1).max(100).optional().openapi({ description: 'The template name' }),
  limit: LimitQuery,
  cursor: CursorQuery,
});

export const TimelineQuery = z.strictObject({
  bucketMs: z
    .string()
    .regex(/^\d+$/, 'bucketMs must be an integer >= 100')
    .transform(Number)
    .pipe(z.number().int().min(100))
    .optional()
    .openapi({
      type: 'integer',
      description: 'Bucket size in ms, >= 100; default: one giving at most ~200 buckets',
      example: '1000',
    }),
});

export const TimelineSchema = z
  .object({
    bucketMs: z.number().int(),
    items: z.array(
      z.object({
        at: Time.openapi({ description: "The bucket's start" }),
        completed: z.number().int(),
        failed: z.number().int(),
      }),
    ),
  })
  .openapi('BatchTimeline');
export type TimelineBody = z.infer<typeof TimelineSchema>;
