import type { StoredError } from '../core/errors.ts';
import type { Grid } from '../core/grid.ts';
import type { JobState } from '../core/lifecycle.ts';
import type {
  ArtifactInfo,
  Batch,
  BatchRecord,
  ChangeEvent,
  Job,
  LogEntry,
  Page,
  Template,
} from '../core/model.ts';
import type { BatchFilter } from './batch-filter.ts';
import type { StoreDump } from './dump.ts';

/**
 * The store contract. Every store (SQLite, PostgreSQL) implements it; the lifecycle
 * rules come from core/lifecycle.ts, so a store only translates them to its dialect.
 *
 * The store owns its connections and transactions: no transaction or client is passed
 * through these calls. Every method is one transaction. Times that decide leases are
 * taken from the store's clock (the database's, where there is one), so callers pass
 * durations (`leaseMs`, `delayMs`), never absolute times, for anything fenced.
 */
export interface Store {
  readonly dialect: 'sqlite' | 'postgres';

  // ---- producing ----------------------------------------------------------------
  /** Inserts jobs (and the batch, if given) in one transaction. */
  insertJobs(jobs: NewJob[], batch?: NewBatch): Promise<InsertedJob[]>;
  /**
   * `insertJobs` for a large enqueue whose jobs are built a chunk at a time (JOB_CHUNK):
   * one transaction still, but a store on a database server writes each chunk while the
   * caller builds the next (validation, ids, JSON), on another core. Nothing is inserted
   * if building a chunk throws.
   */
  insertJobChunks(chunks: AsyncIterable<NewJob[]>, batch?: NewBatch): Promise<InsertedJob[]>;

  // ---- reading ------------------------------------------------------------------
  getJob(id: string): Promise<Job | null>;
  /** The jobs of these ids that exist, in no particular order (one query). */
  getJobs(ids: string[]): Promise<Job[]>;
  listJobs(filter: JobFilter, page: PageRequest): Promise<Page<Job>>;
  getBatch(id: string): Promise<Batch | null>;
  /** Newest first; `filter` narrows by derived state, name substring and template. */
  listBatches(page: PageRequest, filter?: BatchFilter): Promise<Page<Batch>>;
  listLogs(jobId: string, afterId: number, limit: number): Promise<LogEntry[]>;
  listArtifacts(jobId: string): Promise<ArtifactInfo[]>;
  /**
   * The job's past attempts as recorded on the slow paths (retry, stall, fail, cancel of
   * a running job, release), oldest first; the current or last one is the job row's.
   */
  listAttempts(jobId: string): Promise<AttemptRow[]>;
  /** First and last `finished_at` (ms) of the batch's completed and failed jobs; null when none. */
  batchFinishSpan(batchId: string): Promise<{ firstMs: number; lastMs: number } | null>;
  /** Completed and failed jobs of the batch per bucket of `bucketMs` (epoch-aligned), non-empty ones, in order. */
  finishedPerBucket(batchId: string, bucketMs: number): Promise<BucketRow[]>;
  /**
   * How many jobs are in each (state, type), over the whole store (for /metrics). A scan
   * of the jobs table: callers cache it rather than ask on every request.
   */
  countJobs(): Promise<JobCount[]>;
  readArtifact(jobId: string, name: string): Promise<Buffer | null>;
  /**
   * The folder on this machine that holds the job's artifact files, for tools that want
   * the files themselves; null for stores that keep artifacts elsewhere.
   */
  artifactFolder(jobId: string): string | null;

  // ---- acting on jobs and batches ------------------------------------------------
  /**
   * Cancels the pending and running jobs among `target`; returns the ids cancelled. A
   * batch target also marks the batch cancelled, in the same transaction.
   */
  cancelJobs(target: JobTarget): Promise<string[]>;
  /**
   * Moves failed (and, with `includeCancelled`, cancelled) jobs back to pending, with a
   * fresh attempt budget. A batch target also clears the batch's cancelled mark.
   */
  retryJobs(target: JobTarget, includeCancelled: boolean): Promise<string[]>;
  /** Deletes a job that is not running, with its logs and artifacts. */
  deleteJob(id: string): Promise<'deleted' | 'running' | 'missing'>;
  /** Pauses (no new claims) or resumes a batch; false if there is no such batch. */
  pauseBatch(id: string, paused: boolean): Promise<boolean>;

  // ---- templates ------------------------------------------------------------------
  upsertTemplate(template: NewTemplate): Promise<Template>;
  /** Saves a template only if no template has its name; null if one has. */
  insertTemplate(template: NewTemplate): Promise<Template | null>;
  getTemplate(name: string): Promise<Template | null>;
  listTemplates(): Promise<Template[]>;
  deleteTemplate(name: string): Promise<boolean>;

  // ---- the worker ---------------------------------------------------------------
  /**
   * One worker turn in one transaction: settle finished attempts, write buffered
   * progress, heartbeats, usage and logs, then claim up to `claim.limit` due jobs.
   * Every write is fenced; the result says which fences no longer held.
   */
  turn(input: TurnInput): Promise<TurnResult>;
  /** Extends every lease `owner` holds, in one statement; returns the attempts still held. */
  renewLeases(owner: string, leaseMs: number): Promise<Fence[]>;
  /** The attempts `owner` still holds (running, lease unexpired), without writing. */
  heldLeases(owner: string): Promise<Fence[]>;
  /** The workers holding running attempts now. */
  leaseOwners(): Promise<string[]>;
  /** Ends every lease `owner` holds now (its process is known to be dead); returns how many. */
  expireLeases(owner: string): Promise<number>;
  /** Running attempts whose lease has expired (their workers died or hung). */
  expiredLeases(limit: number): Promise<ExpiredAttempt[]>;
  /** Writes an artifact if the fence still holds. */
  writeArtifact(
    fence: Fence,
    name: string,
    data: Uint8Array,
    contentType: string | null,
  ): Promise<boolean>;
  /**
   * Earliest run_at (ms) of a pending job due after `afterMs`, to sleep until it; null
   * when none. Jobs due by then that a claim left behind (types this worker does not run,
   * paused batches) are not "next": a worker must not spin on them.
   */
  nextRunAtMs(afterMs: number): Promise<number | null>;
  /**
   * Called by a worker that has just found nothing to claim: a moment for housekeeping
   * that would otherwise land inside some commit (SQLite: copying the WAL back). Cheap
   * when there is nothing to do.
   */
  idle(): Promise<void>;

  // ---- the change feed ----------------------------------------------------------
  /** The feed position of the last committed change. */
  currentSeq(): Promise<number>;
  /**
   * Changes after `afterSeq`, oldest first. A transaction's changes share one seq and
   * are never split across two calls, so resuming from the last seq seen skips nothing.
   */
  changesSince(afterSeq: number, filter: FeedFilter, limit: number): Promise<ChangeEvent[]>;
  /**
   * Calls `listener` soon after any process commits to the store: a hint to look at
   * the feed, never the data itself. Returns an unsubscribe function.
   */
  onCommit(listener: () => void): () => void;

  // ---- batch-completion webhooks (src/webhooks) ------------------------------------
  /**
   * Batches with a webhook whose end is not recorded yet and that have ended (no job
   * pending or running), at most `limit`: read by the dispatcher, never by the worker.
   */
  endedWebhookBatches(limit: number): Promise<string[]>;
  /**
   * Records a batch's end in the outbox: if the batch has a webhook, no recorded end,
   * and no job pending or running, marks it and inserts the delivery `deliveryId` with a
   * summary of the batch as it ended, in one transaction. False (nothing written) when
   * it has not ended or another process recorded it first: one row per end.
   */
  recordBatchEnd(batchId: string, deliveryId: string): Promise<boolean>;
  /**
   * Claims up to `limit` due deliveries for `owner`: attempt += 1, and each is leased
   * (not due again) for `leaseMs`, so two processes never send one at once.
   */
  claimWebhookDeliveries(owner: string, limit: number, leaseMs: number): Promise<WebhookDelivery[]>;
  /** Settles an attempt if it is still the delivery's current one (fenced like a job's). */
  settleWebhookDelivery(settle: WebhookSettle): Promise<boolean>;
  /** When the next pending delivery falls due (ms, store clock; a leased one at its lease's end); null when none is pending. */
  nextWebhookDueMs(): Promise<number | null>;
  /** Deletes finished (delivered, dead) deliveries of batches that retention deleted. */
  pruneWebhookDeliveries(): Promise<number>;
  /**
   * The stored value of a setting, storing `value` first when there is none: processes
   * that call it at once all get the first value stored.
   */
  settingOrInsert(key: string, value: string): Promise<string>;

  // ---- scheduled templates (src/schedules) -------------------------------------------
  /**
   * Moves the template's last tick to `tick.atMs` if its schedule is still
   * `tick.schedule` and its last tick is earlier (compare-and-set), and inserts the
   * tick's batch and jobs in the same transaction; without a batch, only the tick moves
   * (a skipped tick). False, with nothing written, when another process took the tick.
   */
  claimTemplateTick(tick: TemplateTick, jobs: NewJob[], batch?: NewBatch): Promise<boolean>;

  // ---- retention ------------------------------------------------------------------
  /** Deletes up to `limit` jobs whose retention expired, with logs and artifacts, and emptied batches. */
  pruneExpired(limit: number): Promise<{ jobs: number; batches: number }>;

  // ---- administration ---------------------------------------------------------------
  /**
   * The schema version the store is at, the newest this code knows, and the migrations
   * this instance applied when it opened the store (every store migrates on open).
   */
  schemaVersion(): Promise<SchemaVersion>;
  /**
   * Raw rows of the whole store, to copy it to another store (src/copy): snapshot reads
   * in chunks, and chunked writes stamped with this store's own feed positions.
   */
  dump(): StoreDump;

  /** The store's clock (ms since epoch). */
  nowMs(): number;
  close(): Promise<void>;
}

export interface SchemaVersion {
  /** The newest migration applied to the store. */
  version: number;
  /** The newest migration this code knows; a store above it was migrated by a newer Kiln. */
  latest: number;
  /** The migrations applied when this instance opened the store, oldest first. */
  applied: number[];
}

/**
 * Jobs per chunk of a large enqueue (Store.insertJobChunks). About 25 ms of a
 * PostgreSQL insert each: small enough that building the next chunk overlaps most of
 * the write, large enough that its statements' own cost stays small (docs/PERFORMANCE.md,
 * W1 on PostgreSQL).
 */
export const JOB_CHUNK = 2_000;

export interface NewJob {
  id: string;
  type: string;
  name: string | null;
  /** The validated params as JSON text (core/text.ts jsonText). */
  paramsJson: string;
  batchId: string | null;
  idempotencyKey: string | null;
  priority: number;
  /** Delay from now; 0 or less runs as soon as possible. */
  delayMs: number;
  maxAttempts: number;
  retentionMs: number;
}

export interface InsertedJob {
  id: string;
  /** False when the idempotency key matched an existing job, whose id is returned. */
  created: boolean;
}

export interface NewBatch {
  id: string;
  name: string;
  template: string | null;
  metadata: Record<string, unknown> | null;
  /** Where to POST the batch's end (checked by the caller); none when absent. */
  webhookUrl?: string | null;
  /** At most this many of the batch's jobs running at once, over every worker; null: no cap. */
  concurrency?: number | null;
}

/** A delivery of the webhook outbox, as claimed for one attempt. */
export interface WebhookDelivery {
  /** Also the `Kiln-Delivery` header: the same at every attempt. */
  id: string;
  batchId: string;
  event: string;
  url: string;
  /** The batch as it ended (a `Batch` as JSON): the body is built from it. */
  summary: Record<string, unknown>;
  /** This attempt's number, from 1: the settle's fence. */
  attempt: number;
  createdAt: Date;
}

export type WebhookSettle = {
  id: string;
  owner: string;
  attempt: number;
  /** The HTTP status answered, if any. */
  status: number | null;
} & (
  | { outcome: 'delivered' }
  | { outcome: 'retry'; error: string; delayMs: number }
  | { outcome: 'dead'; error: string }
);

/** One tick of a template's schedule (Store.claimTemplateTick). */
export interface TemplateTick {
  template: string;
  /** The schedule the tick was computed from (JSON, as stored): a changed one refuses it. */
  schedule: string;
  atMs: number;
}

export interface NewTemplate {
  name: string;
  type: string;
  description: string | null;
  params: Record<string, unknown>;
  grid: Grid | null;
  source: 'code' | 'store';
  webhookUrl?: string | null;
  /**
   * The schedule as JSON (a TemplateSchedule). When it differs from the stored one, the
   * last tick becomes now: a new schedule starts from now and does not backfill.
   */
  schedule?: string | null;
}

export interface JobCount {
  state: JobState;
  type: string;
  count: number;
}

export interface JobFilter {
  state?: JobState | JobState[];
  type?: string;
  batchId?: string;
}

export interface PageRequest {
  limit: number;
  cursor?: string | null;
}

export type JobTarget = { ids: string[] } | { batchId: string };

export interface FeedFilter {
  batchId?: string;
  jobId?: string;
}

/** Names one attempt: writes hold only while this is still the job's live attempt. */
export interface Fence {
  id: string;
  attempt: number;
  owner: string;
  /**
   * The store's own handle on the job's row (SQLite: its rowid), handed out by the claim
   * so that the worker's writes reach the row directly. Opaque outside the store.
   */
  row: number;
}

export interface ExpiredAttempt extends Fence {
  type: string;
  maxAttempts: number;
}

export type Settle =
  /** `resultJson`: the result as JSON text, null for none (core/text.ts jsonText). */
  | { kind: 'complete'; fence: Fence; resultJson: string | null }
  | { kind: 'reschedule'; fence: Fence; error: StoredError; delayMs: number }
  | { kind: 'fail'; fence: Fence; error: StoredError }
  /** Shutdown: back to pending now, and the attempt does not count against the budget. */
  | { kind: 'release'; fence: Fence };

/** What becomes of a stalled attempt: retried with backoff, or failed. Never more. */
export type StalledSettle = Extract<Settle, { kind: 'reschedule' | 'fail' }>;

export interface ProgressFlush {
  fence: Fence;
  /**
   * Rises with each flush of a job (progress-buffer.ts flushMark). A flush whose mark is
   * not above the job's `flush_mark` was applied already: its reports, usage and log
   * lines are skipped (the heartbeat still counts), and it is not lost.
   */
  mark: number;
  /** Highest fraction reported since the last flush, if any. */
  progress?: number;
  message?: string | null;
  heartbeat?: boolean;
  /** Checkpoint details from the last heartbeat that gave some, as JSON text. */
  checkpointJson?: string;
  usage?: { tokens: number; costUsd: number };
  logs?: NewLog[];
}

export interface NewLog {
  atMs: number;
  level: LogEntry['level'];
  message: string;
  /** The log call's fields as JSON text, null for none. */
  fieldsJson: string | null;
}

export interface ClaimRequest {
  owner: string;
  limit: number;
  leaseMs: number;
  /** Types this worker runs; `cap` is the type's global concurrency, null for none. */
  types: { type: string; cap: number | null }[];
}

export interface TurnInput {
  settles: Settle[];
  /** Stalled attempts found by `expiredLeases`, settled only if still expired. */
  reaps: StalledSettle[];
  /** At most one per attempt: a store may write them all in one statement. */
  flushes: ProgressFlush[];
  claim: ClaimRequest | null;
}

export interface ClaimedJob {
  id: string;
  /** See Fence.row. */
  row: number;
  type: string;
  name: string | null;
  params: unknown;
  batchId: string | null;
  attempt: number;
  maxAttempts: number;
  checkpoint: unknown;
}

export interface TurnResult {
  /** One entry per settle: false where the fence no longer held (nothing written). */
  settled: boolean[];
  reaped: boolean[];
  /** Fences whose flush found the attempt gone (lease lost, cancelled): stop the handler. */
  lostFences: Fence[];
  claimed: ClaimedJob[];
}

export type { BatchRecord };

/** A recorded past attempt (table job_attempts). */
export interface AttemptRow {
  attempt: number;
  state: 'retried' | 'stalled' | 'failed' | 'cancelled' | 'released';
  startedAtMs: number | null;
  finishedAtMs: number;
  leaseOwner: string | null;
  error: StoredError | null;
}

/** What a settle records: a stall reap is 'stalled' whatever it decides for the job. */
export function attemptEnd(
  kind: 'reschedule' | 'fail' | 'release',
  reaped: boolean,
): AttemptRow['state'] {
  if (reaped) return 'stalled';
  return kind === 'reschedule' ? 'retried' : kind === 'fail' ? 'failed' : 'released';
}

export interface BucketRow {
  atMs: number;
  completed: number;
  failed: number;
}
