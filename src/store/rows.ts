import { KilnError, type StoredError } from '../core/errors.ts';
import { isId } from '../core/ids.ts';
import type { JobState } from '../core/lifecycle.ts';
import type {
  ArtifactInfo,
  BatchRecord,
  ChangeEvent,
  Job,
  LogEntry,
  Template,
} from '../core/model.ts';
import type { ClaimedJob } from './store.ts';

/**
 * The columns every job read selects, in this order. Rows come back as arrays, which
 * node:sqlite builds in about half the time of objects: the feed reads every changed
 * job, so this is a watcher's main cost.
 */
export const JOB_COLUMN_NAMES = [
  'id',
  'type',
  'name',
  'state',
  'params',
  'batch_id',
  'idempotency_key',
  'priority',
  'run_at_ms',
  'attempt',
  'max_attempts',
  'retention_ms',
  'lease_owner',
  'lease_expires_at_ms',
  'progress',
  'progress_message',
  'heartbeat_at_ms',
  'checkpoint',
  'result',
  'error',
  'usage_tokens',
  'usage_cost_usd',
  'created_at_ms',
  'started_at_ms',
  'finished_at_ms',
  'expires_at_ms',
  'updated_seq',
] as const;

type JobColumn = (typeof JOB_COLUMN_NAMES)[number];

/** Each column's place in a job row. */
const C = Object.fromEntries(JOB_COLUMN_NAMES.map((name, i) => [name, i])) as Record<
  JobColumn,
  number
>;

/**
 * A job read selects `JOB_COLUMNS` from `JOB_TABLES`: the job row as `j`, its params
 * (a table of their own, written once: migration 4) as `p`.
 */
export const JOB_COLUMNS = JOB_COLUMN_NAMES.map((name) =>
  name === 'params' ? 'p.params' : `j.${name}`,
).join(', ');
export const JOB_TABLES = 'jobs j JOIN job_params p ON p.rid = j.rid';

/** One job row as `jobColumns()` selects it. */
export type JobRow = unknown[];

/** The change-feed position of a job row. */
export function jobRowSeq(r: JobRow): number {
  return r[C.updated_seq] as number;
}

const date = (ms: unknown): Date | null => (ms === null ? null : new Date(ms as number));
const json = (text: unknown): unknown => (text === null ? null : JSON.parse(text as string));

export function toJob(r: JobRow): Job {
  return {
    id: r[C.id] as string,
    type: r[C.type] as string,
    name: r[C.name] as string | null,
    state: r[C.state] as JobState,
    params: JSON.parse(r[C.params] as string),
    batchId: r[C.batch_id] as string | null,
    idempotencyKey: r[C.idempotency_key] as string | null,
    priority: r[C.priority] as number,
    runAt: new Date(r[C.run_at_ms] as number),
    attempt: r[C.attempt] as number,
    maxAttempts: r[C.max_attempts] as number,
    progress: r[C.progress] as number,
    progressMessage: r[C.progress_message] as string | null,
    heartbeatAt: date(r[C.heartbeat_at_ms]),
    checkpoint: json(r[C.checkpoint]),
    result: json(r[C.result]),
    error: json(r[C.error]) as StoredError | null,
    usage: { tokens: r[C.usage_tokens] as number, costUsd: r[C.usage_cost_usd] as number },
    leaseOwner: r[C.lease_owner] as string | null,
    leaseExpiresAt: date(r[C.lease_expires_at_ms]),
    createdAt: new Date(r[C.created_at_ms] as number),
    startedAt: date(r[C.started_at_ms]),
    finishedAt: date(r[C.finished_at_ms]),
    expiresAt: date(r[C.expires_at_ms]),
    retentionMs: r[C.retention_ms] as number,
    seq: r[C.updated_seq] as number,
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
  webhook_url: string | null;
  /** The batch's cap on running jobs (copied onto its jobs as batch_concurrency). */
  concurrency: number | null;
  /** Set when the batch's end was recorded in the webhook outbox; a retry clears it. */
  webhook_notified_at_ms: number | null;
}

export function toBatchRecord(r: BatchRow): BatchRecord {
  return {
    id: r.id,
    name: r.name,
    template: r.template,
    paused: r.paused === 1,
    cancelled: r.cancelled === 1,
    metadata: json(r.metadata) as Record<string, unknown> | null,
    concurrency: r.concurrency ?? null,
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
  webhook_url: string | null;
  /** JSON of a TemplateSchedule. */
  schedule: string | null;
  last_tick_at_ms: number | null;
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
    webhook: r.webhook_url === null ? null : { url: r.webhook_url },
    schedule: json(r.schedule) as Template['schedule'],
    lastTickAt: date(r.last_tick_at_ms),
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

/**
 * A page of feed rows (in seq order, at most `limit`) cut so it never ends inside a seq
 * group: a reader resumes after the last seq it saw, so a group split across two pages
 * would lose its rest. A full page drops its last group (`upToSeq` is the seq before
 * it); a full page that is one group only is a group larger than a page (`wholeGroup`:
 * read it whole, up to that seq). A page that is not full is complete as it is.
 */
export function cutAtGroup(
  rows: JobRow[],
  limit: number,
): { rows: JobRow[]; upToSeq: number | null; wholeGroup: number | null } {
  if (rows.length < limit || limit <= 0) return { rows, upToSeq: null, wholeGroup: null };
  const boundary = jobRowSeq(rows[rows.length - 1]!);
  const whole = rows.filter((r) => jobRowSeq(r) < boundary);
  return whole.length > 0
    ? { rows: whole, upToSeq: boundary - 1, wholeGroup: null }
    : { rows: [], upToSeq: boundary, wholeGroup: boundary };
}

/**
 * One page of the feed from its job rows and batch rows (each in seq order): every event
 * in seq order, a batch before the jobs of the same seq.
 */
export function feedEvents(jobs: JobRow[], batches: BatchRow[]): ChangeEvent[] {
  const events: ChangeEvent[] = [];
  let b = 0;
  for (const j of jobs) {
    const seq = jobRowSeq(j);
    while (b < batches.length && batches[b]!.updated_seq <= seq) {
      const row = batches[b++]!;
      events.push({ kind: 'batch', seq: row.updated_seq, batch: toBatchRecord(row) });
    }
    events.push({ kind: 'job', seq, job: toJob(j) });
  }
  for (; b < batches.length; b++) {
    events.push({ kind: 'batch', seq: batches[b]!.updated_seq, batch: toBatchRecord(batches[b]!) });
  }
  return events;
}

/**
 * A claimed job as a row array, in the claim's column order (arrays convert faster than
 * objects): rid, id, type, name, params, batch id, the attempt it starts, max attempts,
 * checkpoint.
 */
export type ClaimRow = [
  row: number,
  id: string,
  type: string,
  name: string | null,
  params: string,
  batchId: string | null,
  attempt: number,
  maxAttempts: number,
  checkpoint: string | null,
];

export function toClaimed(row: ClaimRow): ClaimedJob {
  return {
    row: row[0],
    id: row[1],
    type: row[2],
    name: row[3],
    params: JSON.parse(row[4]),
    batchId: row[5],
    attempt: row[6],
    maxAttempts: row[7],
    checkpoint: row[8] === null ? undefined : JSON.parse(row[8]),
  };
}
