import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type {
  ArtifactInfo,
  Batch,
  ChangeEvent,
  Job,
  LogEntry,
  Page,
  Template,
} from '../../core/model.ts';
import { type AttemptDbRow, toAttemptRow, toBucketRow } from '../attempt-rows.ts';
import type { BatchFilter } from '../batch-filter.ts';
import type { StoreDump } from '../dump.ts';
import { type ArtifactRow, type LogRow, toArtifact, toLog } from '../rows.ts';
import type {
  AttemptRow,
  BucketRow,
  ExpiredAttempt,
  FeedFilter,
  Fence,
  InsertedJob,
  JobCount,
  JobFilter,
  JobTarget,
  NewBatch,
  NewJob,
  NewTemplate,
  PageRequest,
  SchemaVersion,
  Store,
  TemplateTick,
  TurnInput,
  TurnResult,
  WebhookDelivery,
  WebhookSettle,
} from '../store.ts';
import { ArtifactFiles } from './artifact-files.ts';
import * as batches from './batches.ts';
import { CommitWatcher } from './commit-watcher.ts';
import { type Durability, SqliteConnection } from './connection.ts';
import { SqliteDump } from './dump.ts';
import * as feed from './feed.ts';
import * as jobs from './jobs.ts';
import { LATEST_VERSION, schemaVersion } from './migrations.ts';
import * as retention from './retention.ts';
import * as schedules from './schedules.ts';
import * as templates from './templates.ts';
import * as webhooks from './webhooks.ts';
import * as worker from './worker-queries.ts';

export interface SqliteStoreOptions {
  /** The database file; its folder is created, and artifacts live beside it. */
  path: string;
  durability?: Durability;
}

/** The embedded store: one SQLite file in WAL mode, shared by any number of processes. */
const IDLE_CHECKPOINT_EVERY_MS = 100;

export class SqliteStore implements Store {
  readonly dialect = 'sqlite' as const;
  readonly path: string;
  private readonly c: SqliteConnection;
  private readonly files: ArtifactFiles;
  private readonly listeners = new Set<() => void>();
  /** Watches for other processes' commits while anyone listens (see onCommit). */
  private watcher: CommitWatcher | undefined;
  private closed = false;
  private orphansSwept = false;
  private lastCheckpointMs = 0;

  constructor(options: SqliteStoreOptions) {
    this.path = resolve(options.path);
    mkdirSync(dirname(this.path), { recursive: true });
    this.c = new SqliteConnection({
      path: this.path,
      durability: options.durability ?? 'process-crash',
    });
    this.files = new ArtifactFiles(join(dirname(this.path), 'artifacts'));
    // Our own commits are announced at once; other processes' through the watcher.
    this.c.onLocalCommit(this.notify);
  }

  private readonly notify = (): void => {
    for (const l of this.listeners) l();
  };

  async insertJobs(list: NewJob[], batch?: NewBatch): Promise<InsertedJob[]> {
    return jobs.insertJobs(this.c, list, batch);
  }

  /** In-process, a write cannot overlap the building: all chunks, then one transaction. */
  async insertJobChunks(chunks: AsyncIterable<NewJob[]>, batch?: NewBatch): Promise<InsertedJob[]> {
    const list: NewJob[] = [];
    for await (const chunk of chunks) for (const job of chunk) list.push(job);
    return jobs.insertJobs(this.c, list, batch);
  }
  async getJobs(ids: string[]): Promise<Job[]> {
    return jobs.getJobs(this.c, ids);
  }

  async getJob(id: string): Promise<Job | null> {
    return jobs.getJob(this.c, id);
  }
  async listJobs(filter: JobFilter, page: PageRequest): Promise<Page<Job>> {
    return jobs.listJobs(this.c, filter, page);
  }
  async getBatch(id: string): Promise<Batch | null> {
    return batches.getBatch(this.c, id);
  }
  async listBatches(page: PageRequest, filter?: BatchFilter): Promise<Page<Batch>> {
    return batches.listBatches(this.c, page, filter);
  }
  async listLogs(jobId: string, afterId: number, limit: number): Promise<LogEntry[]> {
    return this.c
      .all<LogRow>(
        'SELECT * FROM job_logs WHERE job_id = ? AND id > ? ORDER BY id LIMIT ?',
        jobId,
        afterId,
        limit,
      )
      .map(toLog);
  }
  async listAttempts(jobId: string): Promise<AttemptRow[]> {
    return this.c
      .all<AttemptDbRow>('SELECT * FROM job_attempts WHERE job_id = ? ORDER BY attempt', jobId)
      .map(toAttemptRow);
  }
  async batchFinishSpan(batchId: string): Promise<{ firstMs: number; lastMs: number } | null> {
    const r = this.c.get<{ first: number | null; last: number | null }>(
      `SELECT min(finished_at_ms) AS first, max(finished_at_ms) AS last FROM jobs
       WHERE batch_id = ? AND (state = 'completed' OR state = 'failed')`,
      batchId,
    );
    return r?.first == null || r.last == null ? null : { firstMs: r.first, lastMs: r.last };
  }
  async finishedPerBucket(batchId: string, bucketMs: number): Promise<BucketRow[]> {
    // The batch's rows through jobs_batch. Integer division floors (times are positive);
    // the size is cast because node:sqlite binds a JS number as a REAL.
    return this.c
      .all<{ at_ms: number; completed: number; failed: number }>(
        `SELECT (finished_at_ms / CAST(?1 AS INTEGER)) * CAST(?1 AS INTEGER) AS at_ms, sum(state = 'completed') AS completed,
           sum(state = 'failed') AS failed
         FROM jobs WHERE batch_id = ?2 AND (state = 'completed' OR state = 'failed')
         GROUP BY at_ms ORDER BY at_ms`,
        bucketMs,
        batchId,
      )
      .map(toBucketRow);
  }
  async listArtifacts(jobId: string): Promise<ArtifactInfo[]> {
    return this.c
      .all<ArtifactRow>('SELECT * FROM artifacts WHERE job_id = ? ORDER BY name', jobId)
      .map(toArtifact);
  }
  async countJobs(): Promise<JobCount[]> {
    return this.c.all<JobCount>(
      'SELECT state, type, count(*) AS count FROM jobs GROUP BY state, type ORDER BY state, type',
    );
  }
  async readArtifact(jobId: string, name: string): Promise<Buffer | null> {
    if (!this.c.get('SELECT 1 AS ok FROM artifacts WHERE job_id = ? AND name = ?', jobId, name))
      return null;
    return this.files.read(jobId, name);
  }
  artifactFolder(jobId: string): string | null {
    return this.files.jobDir(jobId);
  }
  async cancelJobs(target: JobTarget): Promise<string[]> {
    return jobs.cancelJobs(this.c, target);
  }
  async retryJobs(target: JobTarget, includeCancelled: boolean): Promise<string[]> {
    return jobs.retryJobs(this.c, target, includeCancelled);
  }
  async deleteJob(id: string): Promise<'deleted' | 'running' | 'missing'> {
    return retention.deleteJob(this.c, this.files, id);
  }
  async pauseBatch(id: string, paused: boolean): Promise<boolean> {
    return batches.pauseBatch(this.c, id, paused);
  }
  async upsertTemplate(t: NewTemplate): Promise<Template> {
    return templates.upsertTemplate(this.c, t);
  }
  async insertTemplate(t: NewTemplate): Promise<Template | null> {
    return templates.upsertTemplate(this.c, t, true);
  }
  async getTemplate(name: string): Promise<Template | null> {
    return templates.getTemplate(this.c, name);
  }
  async listTemplates(): Promise<Template[]> {
    return templates.listTemplates(this.c);
  }
  async deleteTemplate(name: string): Promise<boolean> {
    return templates.deleteTemplate(this.c, name);
  }
  /**
   * An idle worker copies the WAL back into the database (a PASSIVE checkpoint, at most
   * every 100 ms). SQLite's own auto-checkpoint runs inside whichever commit crosses its
   * threshold (10,000 pages), and held that enqueue or worker turn for about 30 ms: the
   * tail of enqueue-to-start latency (docs/PERFORMANCE.md, W3). Small, frequent
   * checkpoints at idle moments keep the WAL below it; the auto-checkpoint stays as the
   * backstop for busy workers and for processes without one. Measured W3 p99: 0.97–1.30
   * ms every 100 ms, 1.32–1.55 every 250 ms, 1.56–2.15 every second (bigger copies). A
   * checkpoint thread did as well (1.17–1.30) but a worker thread costs 18 MB of RSS.
   */
  async idle(): Promise<void> {
    const now = Date.now();
    if (this.closed || now - this.lastCheckpointMs < IDLE_CHECKPOINT_EVERY_MS) return;
    this.lastCheckpointMs = now;
    this.c.checkpoint();
  }
  async turn(input: TurnInput): Promise<TurnResult> {
    return worker.turn(this.c, input);
  }
  async renewLeases(owner: string, leaseMs: number): Promise<Fence[]> {
    return worker.renewLeases(this.c, owner, leaseMs);
  }
  async heldLeases(owner: string): Promise<Fence[]> {
    return worker.heldLeases(this.c, owner);
  }
  async leaseOwners(): Promise<string[]> {
    return worker.leaseOwners(this.c);
  }
  async expireLeases(owner: string): Promise<number> {
    return worker.expireLeases(this.c, owner);
  }
  async expiredLeases(limit: number): Promise<ExpiredAttempt[]> {
    return worker.expiredLeases(this.c, limit);
  }
  async writeArtifact(
    fence: Fence,
    name: string,
    data: Uint8Array,
    contentType: string | null,
  ): Promise<boolean> {
    const staged = await this.files.stage(fence.id, data);
    try {
      const written = this.c.write((tx) => {
        if (!worker.fenceHolds(this.c, tx, fence)) return false;
        // Renamed inside the transaction: a newer attempt's write cannot interleave.
        this.files.publish(staged, fence.id, name);
        this.c.run(
          `INSERT INTO artifacts (job_id, name, size_bytes, content_type, created_at_ms) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (job_id, name) DO UPDATE SET size_bytes = excluded.size_bytes,
             content_type = excluded.content_type, created_at_ms = excluded.created_at_ms`,
          fence.id,
          name,
          data.byteLength,
          contentType,
          tx.nowMs,
        );
        return true;
      });
      if (!written) this.files.discard(staged);
      return written;
    } catch (error) {
      this.files.discard(staged);
      throw error;
    }
  }
  async nextRunAtMs(afterMs: number): Promise<number | null> {
    return worker.nextRunAtMs(this.c, afterMs);
  }
  async currentSeq(): Promise<number> {
    return feed.currentSeq(this.c);
  }
  async changesSince(afterSeq: number, filter: FeedFilter, limit: number): Promise<ChangeEvent[]> {
    return feed.changesSince(this.c, afterSeq, filter, limit);
  }
  /**
   * The commit watcher runs only while someone listens: a process that only enqueues
   * or reads (a web server, a CLI call) is not woken by every commit of the workers.
   */
  onCommit(listener: () => void): () => void {
    if (this.closed) return () => {};
    this.listeners.add(listener);
    this.watcher ??= new CommitWatcher(this.c, this.notify);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) {
        this.watcher?.close();
        this.watcher = undefined;
      }
    };
  }

  /** Whether other processes' commits are being watched (for tests). */
  get watchingCommits(): boolean {
    return this.watcher !== undefined;
  }
  async endedWebhookBatches(limit: number): Promise<string[]> {
    return webhooks.endedWebhookBatches(this.c, limit);
  }
  async recordBatchEnd(batchId: string, deliveryId: string): Promise<boolean> {
    return webhooks.recordBatchEnd(this.c, batchId, deliveryId);
  }
  async claimWebhookDeliveries(
    owner: string,
    limit: number,
    leaseMs: number,
  ): Promise<WebhookDelivery[]> {
    return webhooks.claimWebhookDeliveries(this.c, owner, limit, leaseMs);
  }
  async settleWebhookDelivery(settle: WebhookSettle): Promise<boolean> {
    return webhooks.settleWebhookDelivery(this.c, settle);
  }
  async nextWebhookDueMs(): Promise<number | null> {
    return webhooks.nextWebhookDueMs(this.c);
  }
  async pruneWebhookDeliveries(): Promise<number> {
    return webhooks.pruneWebhookDeliveries(this.c);
  }
  async settingOrInsert(key: string, value: string): Promise<string> {
    return webhooks.settingOrInsert(this.c, key, value);
  }
  async claimTemplateTick(tick: TemplateTick, jobs: NewJob[], batch?: NewBatch): Promise<boolean> {
    return schedules.claimTemplateTick(this.c, tick, jobs, batch);
  }
  async pruneExpired(limit: number): Promise<{ jobs: number; batches: number }> {
    // Once per instance, with the first prune rather than on open: the sweep reads every
    // job folder, and enqueuers, watchers and CLI calls open the store too.
    if (!this.orphansSwept) {
      this.orphansSwept = true;
      retention.sweepOrphans(this.c, this.files);
    }
    const pruned = retention.pruneExpired(this.c, this.files, limit);
    // The change log's dead entries: one pass over the log, a chunk per transaction,
    // yielding between chunks so the worker's turns go on meanwhile.
    for (
      let at: [number, number] | null = [0, 0];
      at !== null && !this.closed;
      at = retention.pruneChangeLog(this.c, at, 1_000)
    ) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    return pruned;
  }
  async schemaVersion(): Promise<SchemaVersion> {
    return { version: schemaVersion(this.c.db), latest: LATEST_VERSION, applied: this.c.migrated };
  }
  dump(): StoreDump {
    return new SqliteDump(this.c, this.files);
  }
  nowMs(): number {
    return Date.now();
  }
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watcher?.close();
    this.watcher = undefined;
    this.listeners.clear();
    this.c.close();
  }
}
