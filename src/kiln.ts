import { artifactsApi } from './api/artifacts.ts';
import { batchesApi } from './api/batches.ts';
import { Grouped } from './api/grouped.ts';
import { type EnqueueOptions, JobTypes } from './api/job-types.ts';
import { jobsApi } from './api/jobs.ts';
import { templatesApi } from './api/templates.ts';
import type {
  AnyJobDefinition,
  ParamsOf,
  ResultOf,
  TemplateDefinition,
} from './core/define-job.ts';
import { checkOptionNames, KilnError } from './core/errors.ts';
import type { ChangeEvent, Job } from './core/model.ts';
import { followFeed } from './feed/follow.ts';
import { schedulesApi } from './schedules/api.ts';
import { type Durability, openStore } from './store/open.ts';
import type { InsertedJob, NewJob, Store } from './store/store.ts';
import { type WebhookSettings, webhooksApi } from './webhooks/api.ts';
import { Worker, type WorkerOptions } from './worker/worker.ts';

export type { BatchJobInput, CreateBatchInput, ListBatchesOptions } from './api/batches.ts';
export type { EnqueueOptions } from './api/job-types.ts';
export type { ListJobsOptions } from './api/jobs.ts';

export interface KilnOptions {
  /** A store URL (`sqlite:<path>`; default `sqlite:.kiln/kiln.db`) or an open store. */
  store?: string | Store;
  /** Job types this instance can enqueue with validation, and run. */
  jobs?: AnyJobDefinition[];
  /** Presets defined in code, written to the store on open. */
  templates?: TemplateDefinition[];
  /** SQLite: what an acknowledged write survives. Default 'process-crash'. */
  durability?: Durability;
  /**
   * The secret batch-completion webhooks are signed with. Default: KILN_WEBHOOK_SECRET,
   * else one generated once and kept in the store (`kiln.webhooks.secret()` reads it).
   */
  webhookSecret?: string;
  /**
   * Lets webhooks target loopback, private and link-local addresses (refused otherwise).
   * Default: KILN_ALLOW_PRIVATE_WEBHOOKS=1.
   */
  allowPrivateWebhooks?: boolean;
}

export interface EnqueueItem<D extends AnyJobDefinition | string = AnyJobDefinition | string> {
  job: D;
  params: D extends AnyJobDefinition ? ParamsOf<D> : unknown;
  options?: EnqueueOptions;
}

export interface WatchOptions {
  batchId?: string;
  jobId?: string;
  /** A feed position to resume after, or 'now' (default) or 'start'. */
  from?: number | 'now' | 'start';
  /** Ends the iteration. */
  signal?: AbortSignal;
}

/**
 * A Kiln instance on one store: enqueue jobs and batches, read and act on them, watch
 * the change feed, and run workers. Every method is safe to call from many processes
 * on the same store at once. The namespaces (`jobs`, `batches`, `templates`,
 * `artifacts`) live in src/api, one module each.
 */
export class Kiln {
  readonly store: Store;
  private readonly types = new JobTypes();
  /** Single enqueues made at once share a transaction, and a read (api/grouped.ts). */
  private readonly inserts: Grouped<NewJob, InsertedJob>;
  private readonly reads: Grouped<string, Job | null>;
  private readonly workers = new Set<Worker>();
  private closed = false;
  /** Read jobs and act on one. */
  readonly jobs: ReturnType<typeof jobsApi>;
  /** Create batches (a list, or a template over a grid), read them, act on them. */
  readonly batches: ReturnType<typeof batchesApi>;
  /** Presets saved in the store; code-defined ones are written on open. */
  readonly templates: ReturnType<typeof templatesApi>;
  /** The files jobs wrote. */
  readonly artifacts: ReturnType<typeof artifactsApi>;
  /** Batch-completion webhooks: the signing secret (src/webhooks). */
  readonly webhooks: ReturnType<typeof webhooksApi>;
  /** Scheduled templates: their due ticks into batches (src/schedules). */
  readonly schedules: ReturnType<typeof schedulesApi>;

  private constructor(store: Store, webhooks: WebhookSettings) {
    this.store = store;
    this.inserts = new Grouped((rows) => store.insertJobs(rows));
    this.reads = new Grouped(async (ids) => {
      const found = new Map((await store.getJobs(ids)).map((j) => [j.id, j]));
      return ids.map((id) => found.get(id) ?? null);
    });
    this.jobs = jobsApi(store);
    this.webhooks = webhooksApi(store, webhooks);
    this.schedules = schedulesApi(store, this.types);
    this.batches = batchesApi(store, this.types, () => this.assertOpen(), webhooks);
    this.templates = templatesApi(store, this.types, {
      allowPrivateWebhooks: webhooks.allowPrivate,
      changed: () => this.schedules.changed(),
    });
    this.artifacts = artifactsApi(store);
  }

  static async open(options: KilnOptions = {}): Promise<Kiln> {
    checkOptionNames('Kiln.open', options, [
      'store',
      'jobs',
      'templates',
      'durability',
      'webhookSecret',
      'allowPrivateWebhooks',
    ]);
    const store =
      typeof options.store === 'object'
        ? options.store
        : openStore(options.store, options.durability ? { durability: options.durability } : {});
    // Connect and migrate now (SQLite already did, opening its file): a store that cannot
    // be reached fails here rather than at first use, and processes started side by side
    // (a worker, a watcher) find the tables there.
    await store.schemaVersion();
    const kiln = new Kiln(store, {
      secret: options.webhookSecret || process.env.KILN_WEBHOOK_SECRET || undefined,
      allowPrivate: options.allowPrivateWebhooks ?? process.env.KILN_ALLOW_PRIVATE_WEBHOOKS === '1',
    });
    for (const def of options.jobs ?? []) kiln.define(def);
    for (const t of options.templates ?? []) {
      await store.upsertTemplate({ ...t, source: 'code' });
    }
    return kiln;
  }

  /** Registers a job type with this instance (for validation and for workers). */
  define(definition: AnyJobDefinition): this {
    this.types.define(definition);
    return this;
  }

  /** The job types this instance knows. */
  get jobTypes(): AnyJobDefinition[] {
    return [...this.types.definitions.values()];
  }

  /** Enqueues one job; params are checked against the type's schema first. */
  async enqueue<D extends AnyJobDefinition>(
    job: D,
    params: ParamsOf<D>,
    options?: EnqueueOptions,
  ): Promise<Job<ParamsOf<D>, ResultOf<D>> & { created: boolean }>;
  async enqueue(
    type: string,
    params: unknown,
    options?: EnqueueOptions,
  ): Promise<Job & { created: boolean }>;
  async enqueue(
    type: string | AnyJobDefinition,
    params: unknown,
    options: EnqueueOptions = {},
  ): Promise<Job & { created: boolean }> {
    this.assertOpen();
    const row = await this.types.newJob(type, params, options, null, Date.now());
    const inserted = await this.inserts.call(row);
    const job = await this.reads.call(inserted.id);
    return { ...job!, created: inserted.created };
  }

  /** Enqueues many jobs in one transaction: all of them, or (on any invalid one) none. */
  async enqueueMany(items: EnqueueItem[]): Promise<InsertedJob[]> {
    this.assertOpen();
    if (!Array.isArray(items)) {
      throw new KilnError(
        'INVALID_ARGUMENT',
        'enqueueMany takes an array of { job, params, options? }',
      );
    }
    const inputs = items.map((i, n) => {
      if (typeof i !== 'object' || i === null) {
        throw new KilnError('INVALID_ARGUMENT', `enqueueMany item ${n} is not an object`);
      }
      checkOptionNames(`enqueueMany item ${n}`, i, ['job', 'params', 'options']);
      if (i.job === undefined) {
        throw new KilnError(
          'INVALID_ARGUMENT',
          `enqueueMany item ${n} has no \`job\` (a defineJob() result or a job type name)`,
        );
      }
      return { type: i.job, params: i.params, options: i.options ?? {} };
    });
    return this.types.insert(this.store, inputs, Date.now());
  }

  /**
   * Follows the change feed: every job (and batch) change after `from`, filtered by
   * batch or job, across processes, until the signal aborts or the loop breaks.
   */
  async *watch(options: WatchOptions = {}): AsyncGenerator<ChangeEvent, void, undefined> {
    checkOptionNames('watch', options, ['batchId', 'jobId', 'from', 'signal']);
    const filter: { batchId?: string; jobId?: string } = {};
    if (options.batchId !== undefined) filter.batchId = options.batchId;
    if (options.jobId !== undefined) filter.jobId = options.jobId;
    const from = options.from ?? 'now';
    const cursor = from === 'now' ? await this.store.currentSeq() : from === 'start' ? 0 : from;
    if (!Number.isInteger(cursor) || cursor < 0) {
      throw new KilnError('INVALID_ARGUMENT', 'from must be a seq >= 0');
    }
    yield* followFeed(
      this.store,
      filter,
      cursor,
      () => options.signal?.aborted === true || this.closed,
      options.signal,
    );
  }

  /** Starts a worker in this process. Stop it with `worker.stop()` (or `kiln.close()`). */
  work(options: WorkerOptions = {}): Worker {
    this.assertOpen();
    const worker = new Worker(this.store, this.types.definitions, options).start();
    this.workers.add(worker);
    return worker;
  }

  /** Deletes finished jobs whose retention has expired, their files included. */
  async prune(): Promise<{ jobs: number; batches: number }> {
    let total = { jobs: 0, batches: 0 };
    for (;;) {
      const r = await this.store.pruneExpired(1_000);
      total = { jobs: total.jobs + r.jobs, batches: total.batches + r.batches };
      if (r.jobs < 1_000) return total;
    }
  }

  /** Stops this instance's workers gracefully, then closes the store. */
  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.all([...this.workers].map((w) => w.stop()));
    this.closed = true;
    await this.store.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new KilnError('STORE_CLOSED', 'this Kiln instance is closed');
  }
}
