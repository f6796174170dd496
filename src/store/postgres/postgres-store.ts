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
import * as batches from './batches.ts';
import { PgConnection } from './connection.ts';
import { PgDump } from './dump.ts';
import * as feed from './feed.ts';
import * as jobs from './jobs.ts';
import { CommitListener } from './listener.ts';
import { PG_LATEST_VERSION } from './migrations.ts';
import * as retention from './retention.ts';
import * as schedules from './schedules.ts';
import * as templates from './templates.ts';
import * as webhooks from './webhooks.ts';
import * as worker from './worker-queries.ts';

export interface PostgresStoreOptions {
  /** A `postgres://` connection string (without Kiln's own `schema` parameter). */
  url: string;
  /** The schema for Kiln's tables (default `kiln`), created on first use. */
  schema?: string;
  /**
   * Pooled connections per process (default 5): a worker uses one for its turns and
   * one or two for its timers; with 100 worker processes that is already 500 (plus one
   * LISTEN connection each), past PostgreSQL's default max_connections (docs/SCALING.md).
   */
  poolSize?: number;
}

export const DEFAULT_PG_SCHEMA = 'kiln';

/**
 * The PostgreSQL store: any number of workers and servers on any number of machines,
 * sharing one database. Same contract as the SQLite store; see ARCHITECTURE.md for what
 * differs underneath (claims with SKIP LOCKED, the feed's horizon, LISTEN/NOTIFY,
 * artifacts in the database, leases on the database's clock).
 */
export class PostgresStore implements Store {
  readonly dialect = 'postgres' as const;
  readonly schema: string;
  private readonly c: PgConnection;
  private readonly listeners = new Set<() => void>();
  private listener: CommitListener | undefined;
  private closed = false;

  constructor(options: PostgresStoreOptions) {
    this.schema = options.schema ?? DEFAULT_PG_SCHEMA;
    this.c = new PgConnection({
      url: options.url,
      schema: this.schema,
      ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }),
    });
    this.c.onLocalCommit(this.notify);
  }

  private readonly notify = (): void => {
    for (const l of this.listeners) l();
  };

  /** Connects and applies migrations; every call waits for it, so calling it is optional. */
  open(): Promise<void> {
    return this.c.open();
  }

  async insertJobs(list: NewJob[], batch?: NewBatch): Promise<InsertedJob[]> {
    return jobs.insertJobs(this.c, list, batch);
  }

  async insertJobChunks(chunks: AsyncIterable<NewJob[]>, batch?: NewBatch): Promise<InsertedJob[]> {
    return jobs.insertJobChunks(this.c, chunks, batch);
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
    return (
      await this.c.query<LogRow>(
        'SELECT * FROM job_logs WHERE job_id = $1 AND id > $2 ORDER BY id LIMIT $3',
        [jobId, afterId, limit],
      )
    ).map(toLog);
  }
  async listAttempts(jobId: string): Promise<AttemptRow[]> {
    return (
      await this.c.query<AttemptDbRow>(
        'SELECT * FROM job_attempts WHERE job_id = $1 ORDER BY attempt',
        [jobId],
      )
    ).map(toAttemptRow);
  }
  async batchFinishSpan(batchId: string): Promise<{ firstMs: number; lastMs: number } | null> {
    const [r] = await this.c.query<{ first: number | null; last: number | null }>(
      `SELECT min(finished_at_ms) AS first, max(finished_at_ms) AS last FROM jobs
       WHERE batch_id = $1 AND state IN ('completed', 'failed')`,
      [batchId],
    );
    return r?.first == null || r.last == null
      ? null
      : { firstMs: Number(r.first), lastMs: Number(r.last) };
  }
  async finishedPerBucket(batchId: string, bucketMs: number): Promise<BucketRow[]> {
    return (
      await this.c.query<{ at_ms: number; completed: number; failed: number }>(
        `SELECT (finished_at_ms / $1::bigint) * $1::bigint AS at_ms,
           count(*) FILTER (WHERE state = 'completed')::int AS completed,
           count(*) FILTER (WHERE state = 'failed')::int AS failed
         FROM jobs WHERE batch_id = $2 AND state IN ('completed', 'failed')
         GROUP BY 1 ORDER BY 1`,
        [bucketMs, batchId],
      )
    ).map(toBucketRow);
  }
  async listArtifacts(jobId: string): Promise<ArtifactInfo[]> {
    return (
      await this.c.query<ArtifactRow>(
        `SELECT job_id, name, size_bytes, content_type, created_at_ms FROM artifacts
         WHERE job_id = $1 ORDER BY name`,
        [jobId],
      )
    ).map(toArtifact);
  }
  async countJobs(): Promise<JobCount[]> {
    // count(*) is a bigint, which pg returns as a string.
    return await this.c.query<JobCount>(
      `SELECT state, type, count(*)::int AS count FROM jobs GROUP BY state, type
       ORDER BY state, type`,
    );
  }
  async readArtifact(jobId: string, name: string): Promise<Buffer | null> {
    const [row] = await this.c.query<{ data: Buffer }>(
      'SELECT data FROM artifacts WHERE job_id = $1 AND name = $2',
      [jobId, name],
    );
    return row?.data ?? null;
  }
  /** Artifacts live in the database: there is no folder of files. */
  artifactFolder(): string | null {
    return null;
  }
  async cancelJobs(target: JobTarget): Promise<string[]> {
    return jobs.cancelJobs(this.c, target);
  }
  async retryJobs(target: JobTarget, includeCancelled: boolean): Promise<string[]> {
    return jobs.retryJobs(this.c, target, includeCancelled);
  }
  async deleteJob(id: string): Promise<'deleted' | 'running' | 'missing'> {
    return retention.deleteJob(this.c, id);
  }
  async pauseBatch(id: string, paused: boolean): Promise<boolean> {
    return batches.pauseBatch(this.c, id, paused);
  }
  async upsertTemplate(t: NewTemplate): Promise<Template> {
    return (await templates.upsertTemplate(this.c, t))!;
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
  /** Nothing to do when idle: PostgreSQL checkpoints and vacuums by itself. */
  async idle(): Promise<void> {}
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
    return this.c.write(async (tx) => {
      if (!(await worker.lockFence(tx, fence))) return false;
      await tx.client.query(
        `INSERT INTO artifacts (job_id, name, size_bytes, content_type, created_at_ms, data)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (job_id, name) DO UPDATE SET size_bytes = excluded.size_bytes,
           content_type = excluded.content_type, created_at_ms = excluded.created_at_ms,
           data = excluded.data`,
        [fence.id, name, data.byteLength, contentType, tx.nowMs, Buffer.from(data)],
      );
      return true;
    });
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
  /** LISTEN runs on a connection of its own while anyone listens (listener.ts). */
  onCommit(listener: () => void): () => void {
    if (this.closed) return () => {};
    this.listeners.add(listener);
    this.listener ??= new CommitListener(this.c.url, this.c.channel, this.c.origin, this.notify);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) {
        this.listener?.close();
        this.listener = undefined;
      }
    };
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
    return retention.pruneExpired(this.c, limit);
  }
  async schemaVersion(): Promise<SchemaVersion> {
    return { ...(await this.c.migrations()), latest: PG_LATEST_VERSION };
  }
  dump(): StoreDump {
    return new PgDump(this.c);
  }
  /** The database's clock as this process reckons it (leases themselves use it in SQL). */
  nowMs(): number {
    return this.c.nowMs();
  }
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listener?.close();
    this.listener = undefined;
    this.listeners.clear();
    await this.c.close();
  }
}
