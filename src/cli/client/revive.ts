import type { Batch, BatchRecord, Job, Template } from '../../core/model.ts';

/**
 * JSON carries times as ISO strings; the library's types (and the terminal progress
 * that renders them) hold Dates. Reviving the known time fields at the edge keeps one
 * set of types for the library and the HTTP client.
 */
const JOB_TIMES = [
  'runAt',
  'heartbeatAt',
  'leaseExpiresAt',
  'createdAt',
  'startedAt',
  'finishedAt',
  'expiresAt',
] as const;
const BATCH_TIMES = ['createdAt', 'startedAt', 'finishedAt'] as const;
const TEMPLATE_TIMES = ['createdAt', 'updatedAt'] as const;

function revive<T>(raw: unknown, fields: readonly string[]): T {
  const out = { ...(raw as Record<string, unknown>) };
  for (const field of fields) {
    const value = out[field];
    if (typeof value === 'string') out[field] = new Date(value);
  }
  return out as T;
}

export const reviveJob = (raw: unknown): Job => revive<Job>(raw, JOB_TIMES);
export const reviveBatch = (raw: unknown): Batch => revive<Batch>(raw, BATCH_TIMES);
export const reviveBatchRecord = (raw: unknown): BatchRecord =>
  revive<BatchRecord>(raw, BATCH_TIMES);
export const reviveTemplate = (raw: unknown): Template => revive<Template>(raw, TEMPLATE_TIMES);
