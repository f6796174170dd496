import type { StoredError } from './errors.ts';
import type { Grid } from './grid.ts';
import type { JobState } from './lifecycle.ts';

export type { JobState };

export interface Usage {
  tokens: number;
  costUsd: number;
}

/** A job as every reader sees it: one consistent snapshot of its row. */
export interface Job<Params = unknown, Result = unknown> {
  id: string;
  type: string;
  /** Readable label, e.g. the grid cell "subject=math, grade=3". */
  name: string | null;
  state: JobState;
  params: Params;
  batchId: string | null;
  idempotencyKey: string | null;
  /** Higher runs first; ties run oldest first. */
  priority: number;
  runAt: Date;
  /** Attempts started so far (the current one included while running). */
  attempt: number;
  maxAttempts: number;
  /** 0..1 within the current attempt; never falls within an attempt. */
  progress: number;
  progressMessage: string | null;
  heartbeatAt: Date | null;
  /** The last details passed to `ctx.heartbeat()`; handed to the next attempt. */
  checkpoint: unknown;
  result: Result | null;
  error: StoredError | null;
  usage: Usage;
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
  createdAt: Date;
  /** When the current (or last) attempt started. */
  startedAt: Date | null;
  finishedAt: Date | null;
  /** When retention deletes the job, its logs and its artifacts. */
  expiresAt: Date | null;
  retentionMs: number;
  /** Change-feed position of the job's last change. */
  seq: number;
}

export type BatchState = 'pending' | 'running' | 'paused' | 'completed' | 'failed' | 'cancelled';

export interface BatchCounts {
  total: number;
  pending: number;
  running: number;
  completed: number;
  failed: number;
  cancelled: number;
}

/** The stored part of a batch; its state and figures are derived from its jobs. */
export interface BatchRecord {
  id: string;
  name: string;
  template: string | null;
  paused: boolean;
  cancelled: boolean;
  metadata: Record<string, unknown> | null;
  /** At most this many of its jobs run at once, over every worker; null: no cap. */
  concurrency: number | null;
  createdAt: Date;
  seq: number;
}

export interface Batch extends BatchRecord {
  state: BatchState;
  counts: BatchCounts;
  /** Mean over its jobs; a finished job (completed, failed or cancelled) counts as 1. */
  progress: number;
  usage: Usage & { seconds: number };
  startedAt: Date | null;
  finishedAt: Date | null;
  /** Estimated time to finish from the pace so far; null when unknown or finished. */
  etaMs: number | null;
  /** The batch's completion webhook and where its delivery stands; null when it has none. */
  webhook: BatchWebhook | null;
}

/**
 * Where a batch's completion webhook stands. 'waiting': the batch has not ended (or its
 * end is not noticed yet; a retry of the batch waits again); 'pending': queued or being
 * retried; 'delivered': a 2xx answered; 'dead': given up (attempts ran past the limit).
 */
export interface BatchWebhook {
  url: string;
  state: 'waiting' | 'pending' | 'delivered' | 'dead';
  /** The `Kiln-Delivery` header of the current end's POSTs; null while waiting. */
  deliveryId: string | null;
  attempts: number;
  /** The last attempt's error (a status, a timeout, a refused address), if it failed. */
  lastError: string | null;
  nextAttemptAt: Date | null;
  deliveredAt: Date | null;
}

/** A template's cron schedule: each tick creates a batch from the template. */
export interface TemplateSchedule {
  /** Five fields, or six with seconds first (croner syntax). */
  cron: string;
  /** IANA time zone the cron is read in; default 'UTC', so every process agrees. */
  timezone: string;
  /**
   * What a scheduler does with ticks missed while no process ran (older than the grace
   * period): 'run-once' (default) creates one batch for the latest of them, 'skip' none.
   */
  missed: 'run-once' | 'skip';
}

export interface Template {
  name: string;
  type: string;
  description: string | null;
  params: Record<string, unknown>;
  grid: Grid | null;
  /** 'code': defined with `defineTemplate` and written on open; 'store': saved through the API. */
  source: 'code' | 'store';
  /** Batches created from the template (and by its schedule) POST their end here. */
  webhook: { url: string } | null;
  schedule: TemplateSchedule | null;
  /** The last schedule tick that created (or skipped) a batch; null without a schedule. */
  lastTickAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface LogEntry {
  id: number;
  jobId: string;
  attempt: number;
  at: Date;
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown> | null;
}

/** One attempt of a job: past ones as recorded on the slow paths, the current one from the job row. */
export interface Attempt {
  /** Numbered from 1 over the job's whole life: a retry by a person continues the count. */
  attempt: number;
  state: 'running' | 'completed' | 'failed' | 'retried' | 'stalled' | 'cancelled' | 'released';
  startedAt: Date | null;
  finishedAt: Date | null;
  leaseOwner: string | null;
  error: StoredError | null;
}

/** Finished jobs of a batch per time bucket (`at`: the bucket's start). */
export interface TimelineBucket {
  at: Date;
  completed: number;
  failed: number;
}

export interface ArtifactInfo {
  jobId: string;
  name: string;
  sizeBytes: number;
  contentType: string | null;
  createdAt: Date;
}

/** One entry of the change feed. Several entries may share a seq (one transaction). */
export type ChangeEvent =
  | { kind: 'job'; seq: number; job: Job }
  | { kind: 'batch'; seq: number; batch: BatchRecord };

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}
