/**
 * Raw rows of a whole store, for copying it to another store (src/copy/copy.ts). Both
 * stores hold the same tables with the same columns (sqlite/migrations.ts,
 * postgres/migrations.ts), so a row read from one is written to the other as it is,
 * column by column, with one exception: the change-feed position (`updated_seq`) means
 * something different in each store (SQLite: a counter; PostgreSQL: a transaction id),
 * so it is never copied; the writing store stamps the rows with positions of its own.
 *
 * Rows are objects keyed by column name, in the column lists below: one list per table,
 * used by both stores' readers and writers, so a column cannot be copied by one and
 * forgotten by the other.
 */

/** Every column of a job, its params included (they live in `job_params`), but the feed position. */
export const JOB_DUMP_COLUMNS = [
  'rid',
  'id',
  'type',
  'name',
  'state',
  'batch_id',
  'idempotency_key',
  'priority',
  'run_at_ms',
  'attempt',
  'max_attempts',
  'attempt_budget',
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
  'batch_concurrency',
  'flush_mark',
  'params',
] as const;

/** Every column of a batch but the feed position. */
export const BATCH_DUMP_COLUMNS = [
  'id',
  'name',
  'template',
  'paused',
  'cancelled',
  'metadata',
  'created_at_ms',
  'webhook_url',
  'webhook_notified_at_ms',
  'concurrency',
] as const;

export const TEMPLATE_DUMP_COLUMNS = [
  'name',
  'type',
  'description',
  'params',
  'grid',
  'source',
  'created_at_ms',
  'updated_at_ms',
  'webhook_url',
  'schedule',
  'last_tick_at_ms',
] as const;

/** Log ids are kept: readers page through a job's logs by id. */
export const LOG_DUMP_COLUMNS = [
  'id',
  'job_id',
  'attempt',
  'at_ms',
  'level',
  'message',
  'fields',
] as const;

/** A past attempt (job_attempts), keyed by (job id, attempt). */
export const ATTEMPT_DUMP_COLUMNS = [
  'job_id',
  'attempt',
  'state',
  'started_at_ms',
  'finished_at_ms',
  'lease_owner',
  'error',
] as const;

/** An artifact's row; its bytes travel beside it (`ArtifactDump.data`). */
export const ARTIFACT_DUMP_COLUMNS = [
  'job_id',
  'name',
  'size_bytes',
  'content_type',
  'created_at_ms',
] as const;

/** A value as both stores read and write it: JSON columns are text in both. */
export type DumpValue = string | number | null;

export type JobDump = Record<(typeof JOB_DUMP_COLUMNS)[number], DumpValue>;
export type BatchDump = Record<(typeof BATCH_DUMP_COLUMNS)[number], DumpValue>;
export type TemplateDump = Record<(typeof TEMPLATE_DUMP_COLUMNS)[number], DumpValue>;
export type LogDump = Record<(typeof LOG_DUMP_COLUMNS)[number], DumpValue>;
export type AttemptDump = Record<(typeof ATTEMPT_DUMP_COLUMNS)[number], DumpValue>;
export type ArtifactRowDump = Record<(typeof ARTIFACT_DUMP_COLUMNS)[number], DumpValue>;
export interface ArtifactDump {
  row: ArtifactRowDump;
  data: Buffer;
}

/** How much a store holds. */
export interface DumpCounts {
  jobs: number;
  batches: number;
  templates: number;
  logs: number;
  attempts: number;
  artifacts: number;
  artifactBytes: number;
}

/**
 * Reads a whole store in chunks (keyset pages in key order), every read from one
 * snapshot taken by `begin()`, so the copy is of one moment even if something writes
 * to the store meanwhile. Artifact bytes of the SQLite store are files, outside the
 * snapshot.
 */
export interface DumpReader {
  /** Takes the snapshot that every read until `end()` sees. */
  begin(): Promise<void>;
  counts(): Promise<DumpCounts>;
  /** Jobs running under a lease that has not expired: a worker is still at them. */
  liveLeases(): Promise<number>;
  templates(afterName: string | null, limit: number): Promise<TemplateDump[]>;
  batches(afterId: string | null, limit: number): Promise<BatchDump[]>;
  /** Jobs in rowid order, with their params. */
  jobs(afterRid: number, limit: number): Promise<JobDump[]>;
  logs(afterId: number, limit: number): Promise<LogDump[]>;
  /** Past attempts in (job id, attempt) order. */
  attempts(after: [jobId: string, attempt: number], limit: number): Promise<AttemptDump[]>;
  /** Artifact rows in (job id, name) order, without their bytes. */
  artifacts(after: [jobId: string, name: string] | null, limit: number): Promise<ArtifactRowDump[]>;
  /** The bytes of these artifacts, in their order. */
  artifactData(rows: ArtifactRowDump[]): Promise<Buffer[]>;
  /** Ends the snapshot; returns whether any job or batch changed after it was taken. */
  end(): Promise<{ changedSince: boolean }>;
}

/**
 * Writes rows read from another store, each call one transaction. Jobs and batches are
 * stamped with this store's own feed positions (one per call), in the order written,
 * so a watcher from the start sees every one and later changes come after them.
 */
export interface DumpWriter {
  /** Jobs and batches the store holds: a copy goes only into a store without any. */
  occupancy(): Promise<{ jobs: number; batches: number }>;
  /** Templates of the same name are replaced. */
  writeTemplates(rows: TemplateDump[]): Promise<void>;
  writeBatches(rows: BatchDump[]): Promise<void>;
  /** Jobs in rowid order, with their params; rowids are kept. */
  writeJobs(rows: JobDump[]): Promise<void>;
  writeLogs(rows: LogDump[]): Promise<void>;
  writeAttempts(rows: AttemptDump[]): Promise<void>;
  writeArtifacts(items: ArtifactDump[]): Promise<void>;
}

export interface StoreDump extends DumpReader, DumpWriter {}

/** The columns of `row` as an array, in the order of `columns`. */
export function valuesOf<C extends readonly string[]>(
  columns: C,
  row: Record<C[number], DumpValue>,
): DumpValue[] {
  return columns.map((c: C[number]) => row[c]);
}
