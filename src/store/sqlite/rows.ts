import { KilnError, type StoredError } from '../../core/errors.ts';
import { isId } from '../../core/ids.ts';
import type { JobState } from '../../core/lifecycle.ts';
import type { ArtifactInfo, BatchRecord, Job, LogEntry, Template } from '../../core/model.ts';

export interface JobRow {
  id: string;
  type: string;
  name: string | null;
  state: JobState;
  params: string;
  batch_id: string | null;
  idempotency_key: string | null;
  priority: number;
  run_at_ms: number;
  attempt: number;
  max_attempts: number;
  retention_ms: number;
  lease_owner: string | null;
  lease_expires_at_ms: number | null;
  progress: number;
  progress_message: string | null;
  heartbeat_at_ms: number | null;
  checkpoint: string | null;
  result: string | null;
  error: string | null;
  usage_tokens: number;
  usage_cost_usd: number;
  created_at_ms: number;
  started_at_ms: number | null;
  finished_at_ms: number | null;
  expires_at_ms: number | null;
  updated_seq: number;
}

const date = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));
const json = (text: string | null): unknown => (text === null ? null : JSON.parse(text));

export function toJob(r: JobRow): Job {
  return {
    id: r.id,
    type: r.type,
    name: r.name,
    state: r.state,
    params: JSON.parse(r.params),
    batchId: r.batch_id,
    idempotencyKey: r.idempotency_key,
    priority: r.priority,
    runAt: new Date(r.run_at_ms),
    attempt: r.attempt,
    maxAttempts: r.max_attempts,
    progress: r.progress,
    progressMessage: r.progress_message,
    heartbeatAt: date(r.heartbeat_at_ms),
    checkpoint: json(r.checkpoint),
    result: json(r.result),
    error: json(r.error) as StoredError | null,
    usage: { tokens: r.usage_tokens, costUsd: r.usage_cost_usd },
    leaseOwner: r.lease_owner,
    leaseExpiresAt: date(r.lease_expires_at_ms),
    createdAt: new Date(r.created_at_ms),
    startedAt: date(r.started_at_ms),
    finishedAt: date(r.finished_at_ms),
    expiresAt: date(r.expires_at_ms),
    retentionMs: r.retention_ms,
    seq: r.updated_seq,
  };
}

export interface BatchRow {
  id: string;
  name: string;
  template: string | null;
  paused: number;
  cancelled: number;
  metadata: string | null;
  created_at_ms: number;
  updated_seq: number;
}

export function toBatchRecord(r: BatchRow): BatchRecord {
  return {
    id: r.id,
    name: r.name,
    template: r.template,
    paused: r.paused === 1,
    cancelled: r.cancelled === 1,
    metadata: json(r.metadata) as Record<string, unknown> | null,
    createdAt: new Date(r.created_at_ms),
    seq: r.updated_seq,
  };
}

export interface TemplateRow {
  name: string;
  type: string;
  description: string | null;
  params: string;
  grid: string | null;
  source: 'code' | 'store';
  created_at_ms: number;
  updated_at_ms: number;
}

export function toTemplate(r: TemplateRow): Template {
  return {
    name: r.name,
    type: r.type,
    description: r.description,
    params: JSON.parse(r.params),
    grid: json(r.grid) as Template['grid'],
    source: r.source,
    createdAt: new Date(r.created_at_ms),
    updatedAt: new Date(r.updated_at_ms),
  };
}

export interface LogRow {
  id: number;
  job_id: string;
  attempt: number;
  at_ms: number;
  level: LogEntry['level'];
  message: string;
  fields: string | null;
}

export function toLog(r: LogRow): LogEntry {
  return {
    id: r.id,
    jobId: r.job_id,
    attempt: r.attempt,
    at: new Date(r.at_ms),
    level: r.level,
    message: r.message,
    fields: json(r.fields) as Record<string, unknown> | null,
  };
}

export interface ArtifactRow {
  job_id: string;
  name: string;
  size_bytes: number;
  content_type: string | null;
  created_at_ms: number;
}

export function toArtifact(r: ArtifactRow): ArtifactInfo {
  return {
    jobId: r.job_id,
    name: r.name,
    sizeBytes: r.size_bytes,
    contentType: r.content_type,
    createdAt: new Date(r.created_at_ms),
  };
}

/** Cursors are opaque to callers: base64url of the last id of the page. */
export function encodeCursor(id: string): string {
  return Buffer.from(id).toString('base64url');
}

export function decodeCursor(cursor: string | null | undefined): string | null {
  if (!cursor) return null;
  const id = Buffer.from(cursor, 'base64url').toString();
  if (!isId(id))
    throw new KilnError('INVALID_ARGUMENT', `cursor \`${cursor}\` is not one Kiln gave out`);
  return id;
}
