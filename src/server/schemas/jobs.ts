/** Jobs: what a client sends to enqueue, and the job, log line and artifact it reads back. */
import { z } from '@hono/zod-openapi';
import { JOB_STATES } from '../../core/lifecycle.ts';
import {
  CursorQuery,
  IdParam,
  itemsOf,
  LimitQuery,
  NullableTime,
  Priority,
  pageOf,
  Time,
  TimeInput,
  Usage,
} from './common.ts';

export const JobStateSchema = z.enum(JOB_STATES).openapi('JobState');

/** The options of one job, shared by a single enqueue and each item of a bulk one. */
const enqueueFields = {
  type: z
    .string()
    .min(1)
    .max(64)
    .openapi({ description: 'A job type the server knows', example: 'presentation' }),
  params: z
    .unknown()
    .optional()
    .openapi({ description: "Checked against the job type's schema; default `{}`" }),
  priority: Priority.optional(),
  runAt: TimeInput.optional().openapi({ description: 'Run no earlier than this time' }),
  idempotencyKey: z
    .string()
    .min(1)
    .max(255)
    .optional()
    .openapi({ description: 'A second enqueue with the same key returns the first job' }),
  name: z.string().min(1).max(200).optional().openapi({ description: 'A readable label' }),
};

export const EnqueueJobSchema = z.strictObject(enqueueFields).openapi('EnqueueJob');
export type EnqueueJobRequest = z.infer<typeof EnqueueJobSchema>;

export const EnqueueManySchema = z
  .strictObject({ jobs: z.array(z.strictObject(enqueueFields)).min(1).max(10_000) })
  .openapi('EnqueueMany');
export type EnqueueManyRequest = z.infer<typeof EnqueueManySchema>;

export const EnqueuedSchema = z
  .object({
    items: z.array(
      z.object({
        id: z.string(),
        created: z
          .boolean()
          .openapi({ description: 'false: the idempotency key matched an existing job' }),
      }),
    ),
  })
  .openapi('Enqueued');
export type EnqueuedResponse = z.infer<typeof EnqueuedSchema>;

export const StoredErrorSchema = z
  .object({ message: z.string(), stack: z.string().optional(), code: z.string().optional() })
  .openapi('JobError');

export const JobSchema = z
  .object({
    id: z.string(),
    type: z.string(),
    name: z.string().nullable(),
    state: JobStateSchema,
    params: z.unknown(),
    batchId: z.string().nullable(),
    idempotencyKey: z.string().nullable(),
    priority: z.number().int(),
    runAt: Time,
    attempt: z
      .number()
      .int()
      .openapi({ description: 'Attempts started so far, the current one included' }),
    maxAttempts: z.number().int(),
    progress: z.number().min(0).max(1).openapi({ description: '0..1 within the current attempt' }),
    progressMessage: z.string().nullable(),
    heartbeatAt: NullableTime,
    checkpoint: z.unknown(),
    result: z.unknown(),
    error: StoredErrorSchema.nullable(),
    usage: Usage,
    leaseOwner: z.string().nullable(),
    leaseExpiresAt: NullableTime,
    createdAt: Time,
    startedAt: NullableTime,
    finishedAt: NullableTime,
    expiresAt: NullableTime.openapi({
      description: 'When retention deletes the job and its files',
    }),
    retentionMs: z.number().int(),
    seq: z.number().int().openapi({ description: "Change-feed position of the job's last change" }),
  })
  .openapi('Job');
export type JobBody = z.infer<typeof JobSchema>;

export const JobPageSchema = pageOf(JobSchema).openapi('JobPage');
export type JobPageBody = z.infer<typeof JobPageSchema>;

export const ListJobsQuery = z.strictObject({
  state: z
    .string()
    .optional()
    .openapi({
      description: `Comma-separated: ${JOB_STATES.join(', ')}`,
      example: 'pending,running',
    }),
  type: z.string().min(1).optional(),
  batchId: z.string().min(1).optional(),
  limit: LimitQuery,
  cursor: CursorQuery,
});

export const LogEntrySchema = z
  .object({
    id: z.number().int(),
    jobId: z.string(),
    attempt: z.number().int(),
    at: Time,
    level: z.enum(['debug', 'info', 'warn', 'error']),
    message: z.string(),
    fields: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi('LogEntry');
export type LogEntryBody = z.infer<typeof LogEntrySchema>;

export const LogsSchema = z.object({ items: z.array(LogEntrySchema) }).openapi('Logs');

export const LogsQuery = z.strictObject({
  afterId: z
    .string()
    .regex(/^\d+$/, 'afterId must be an integer >= 0')
    .transform(Number)
    .optional()
    .openapi({ type: 'integer', description: 'Lines after this id (the last one seen)' }),
  limit: LimitQuery,
});

export const ArtifactInfoSchema = z
  .object({
    jobId: z.string(),
    name: z.string(),
    sizeBytes: z.number().int(),
    contentType: z.string().nullable(),
    createdAt: Time,
  })
  .openapi('ArtifactInfo');
export type ArtifactInfoBody = z.infer<typeof ArtifactInfoSchema>;

export const ArtifactsSchema = z
  .object({ items: z.array(ArtifactInfoSchema) })
  .openapi('Artifacts');

export const ArtifactParams = IdParam.extend({
  name: z.string().openapi({ param: { name: 'name', in: 'path' }, example: 'deck.html' }),
});

export const AttemptSchema = z
  .object({
    attempt: z.number().int().openapi({ description: "From 1 over the job's whole life" }),
    state: z.enum([
      'running',
      'completed',
      'failed',
      'retried',
      'stalled',
      'cancelled',
      'released',
    ]),
    startedAt: NullableTime,
    finishedAt: NullableTime,
    leaseOwner: z.string().nullable(),
    error: z
      .object({ message: z.string(), stack: z.string().optional(), code: z.string().optional() })
      .nullable(),
  })
  .openapi('Attempt');
export type AttemptBody = z.infer<typeof AttemptSchema>;

export const AttemptListSchema = itemsOf(AttemptSchema).openapi('AttemptList');
