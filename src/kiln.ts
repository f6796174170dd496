import type { StandardSchemaV1 } from '@standard-schema/spec';
import { expectStates, expectString } from './core/arguments.ts';
import {
  type AnyJobDefinition,
  isJobDefinition,
  type ParamsOf,
  type ResultOf,
  type TemplateDefinition,
} from './core/define-job.ts';
import { checkOptionNames, KilnError } from './core/errors.ts';
import { expandGrid, type Grid } from './core/grid.ts';
import { isId, newId } from './core/ids.ts';
import type { JobState } from './core/lifecycle.ts';
import type {
  ArtifactInfo,
  Batch,
  ChangeEvent,
  Job,
  LogEntry,
  Page,
  Template,
} from './core/model.ts';
import { validateParams } from './core/schema.ts';
import { followFeed } from './feed/follow.ts';
import { type Durability, openStore } from './store/open.ts';
import type { InsertedJob, NewJob, Store } from './store/store.ts';
import { Worker, type WorkerOptions } from './worker/worker.ts';

export interface KilnOptions {
  /** A store URL (`sqlite:<path>`; default `sqlite:.kiln/kiln.db`) or an open store. */
  store?: string | Store;
  /** Job types this instance can enqueue with validation, and run. */
  jobs?: AnyJobDefinition[];
  /** Presets defined in code, written to the store on open. */
  templates?: TemplateDefinition[];
  /** SQLite: what an acknowledged write survives. Default 'process-crash'. */
  durability?: Durability;
}

export interface EnqueueOptions {
  /** Higher runs first. Default 0. */
  priority?: number;
  /** Run no earlier than this time. */
  runAt?: Date | number;
  /** A second enqueue with the same key returns the first job instead of a new one. */
  idempotencyKey?: string;
  /** A readable label for lists and dashboards. */
  name?: string;
}

export interface EnqueueItem<D extends AnyJobDefinition | string = AnyJobDefinition | string> {
  job: D;
  params: D extends AnyJobDefinition ? ParamsOf<D> : unknown;
  options?: EnqueueOptions;
}

export interface BatchJobInput {
  type: string | AnyJobDefinition;
  params: unknown;
  name?: string;
  priority?: number;
}

export type CreateBatchInput = {
  name?: string;
  metadata?: Record<string, unknown>;
  priority?: number;
  runAt?: Date | number;
} & (
  | { jobs: BatchJobInput[] }
  | { template: string; grid?: Grid; params?: Record<string, unknown> }
);

export interface WatchOptions {
  batchId?: string;
  jobId?: string;
  /** A feed position to resume after, or 'now' (default) or 'start'. */
  from?: number | 'now' | 'start';
  /** Ends the iteration. */
  signal?: AbortSignal;
}

export interface ListJobsOptions {
  state?: JobState | JobState[];
  type?: string;
  batchId?: string;
  limit?: number;
  cursor?: string | null;
}

const MAX_PAGE = 1_000;
const ENQUEUE_OPTIONS = ['priority', 'runAt', 'idempotencyKey', 'name'] as const;

/**
 * A Kiln instance on one store: enqueue jobs and batches, read and act on them, watch
 * the change feed, and run workers. Every method is safe to call from many processes
 * on the same store at once.
 */
export class Kiln {
  readonly store: Store;
  private readonly definitions = new Map<string, AnyJobDefinition>();
  private readonly workers = new Set<Worker>();
  private closed = false;

  private constructor(store: Store) {
    this.store = store;
  }

  static async open(options: KilnOptions = {}): Promise<Kiln> {
    checkOptionNames('Kiln.open', options, ['store', 'jobs', 'templates', 'durability']);
    const store =
      typeof options.store === 'object'
        ? options.store
        : openStore(options.store, options.durability ? { durability: options.durability } : {});
    const kiln = new Kiln(store);
    for (const def of options.jobs ?? []) kiln.define(def);
    for (const t of options.templates ?? []) {
      await store.upsertTemplate({ ...t, source: 'code' });
    }
    return kiln;
  }

  /** Registers a job type with this instance (for validation and for workers). */
  define(definition: AnyJobDefinition): this {
    if (!isJobDefinition(definition))
      throw new KilnError('INVALID_ARGUMENT', 'define() takes a defineJob() result');
    const existing = this.definitions.get(definition.type);
    if (existing && existing !== definition) {
      throw new KilnError('INVALID_ARGUMENT', `job type \`${definition.type}\` is defined twice`);
    }
    this.definitions.set(definition.type, definition);
    return this;
  }

  /** The job types this instance knows. */
  get jobTypes(): AnyJobDefinition[] {
    return [...this.definitions.values()];
  }

  private definition(type: string | AnyJobDefinition): AnyJobDefinition {
    if (typeof type !== 'string') return this.define(type).definitions.get(type.type)!;
    const def = this.definitions.get(type);
    if (!def) {
      const known = [...this.definitions.keys()];
      throw new KilnError(
        'UNKNOWN_JOB_TYPE',
        `unknown job type \`${type}\`; known: ${known.join(', ') || 'none'}`,
        {
          known,
        },
      );
    }
    return def;
  }

  /** A row for the store: options checked, params validated (synchronously when the schema is). */
  private newJob(
    type: string | AnyJobDefinition,
    params: unknown,
    options: EnqueueOptions,
    batchId: string | null,
    nowMs: number,
  ): NewJob | Promise<NewJob> {
    checkOptionNames('enqueue', options, ENQUEUE_OPTIONS);
    const def = this.definition(type);
    const priority = options.priority ?? 0;
    if (!Number.isInteger(priority) || Math.abs(priority) > 1_000_000) {
      throw new KilnError(
        'INVALID_ARGUMENT',
        'priority must be an integer between -1000000 and 1000000',
      );
    }
    const runAtMs = options.runAt === undefined ? nowMs : new Date(options.runAt).getTime();
    if (Number.isNaN(runAtMs)) throw new KilnError('INVALID_ARGUMENT', 'runAt is not a valid time');
    const key = options.idempotencyKey ?? null;
    if (key !== null && (typeof key !== 'string' || key.length === 0 || key.length > 255)) {
      throw new KilnError(
        'INVALID_ARGUMENT',
        'idempotencyKey must be a string of 1-255 characters',
      );
    }
    const build = (valid: unknown): NewJob => ({
      id: newId(nowMs),
      type: def.type,
      name: options.name ?? null,
      params: valid,
      batchId,
      idempotencyKey: key,
      priority,
      delayMs: runAtMs - nowMs,
      maxAttempts: def.maxAttempts,
      retentionMs: def.retentionMs,
    });
    const valid = validateParams(def.params as StandardSchemaV1, def.type, params);
    return valid instanceof Promise ? valid.then(build) : build(valid);
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
    this.open();
    const [inserted] = await this.store.insertJobs([
      await this.newJob(type, params, options, null, Date.now()),
    ]);
    const job = await this.store.getJob(inserted!.id);
    return { ...job!, created: inserted!.created };
  }

  /** Enqueues many jobs in one transaction: all of them, or (on any invalid one) none. */
  async enqueueMany(items: EnqueueItem[]): Promise<InsertedJob[]> {
    this.open();
    const now = Date.now();
    const jobs: NewJob[] = [];
    for (const item of items) {
      const job = this.newJob(item.job, item.params, item.options ?? {}, null, now);
      jobs.push(job instanceof Promise ? await job : job);
    }
    return this.store.insertJobs(jobs);
  }

  readonly jobs = {
    get: async (id: string): Promise<Job | null> => this.store.getJob(expectString('id', id)),
    list: async (options: ListJobsOptions = {}): Promise<Page<Job>> => {
      checkOptionNames('jobs.list', options, ['state', 'type', 'batchId', 'limit', 'cursor']);
      const filter: { state?: JobState | JobState[]; type?: string; batchId?: string } = {};
      if (options.state !== undefined) filter.state = expectStates(options.state);
      if (options.type !== undefined) filter.type = expectString('type', options.type);
      if (options.batchId !== undefined) filter.batchId = expectString('batchId', options.batchId);
      const cursor = options.cursor == null ? null : expectString('cursor', options.cursor);
      return this.store.listJobs(filter, { limit: pageLimit(options.limit), cursor });
    },
    /** Cancels a pending or running job; a running handler's signal fires. */
    cancel: async (id: string): Promise<Job> => {
      const cancelled = await this.store.cancelJobs({ ids: [id] });
      return this.afterAction(id, cancelled.length > 0, 'cancel');
    },
    /** Moves a failed or cancelled job back to pending with a fresh attempt budget. */
    retry: async (id: string): Promise<Job> => {
      const retried = await this.store.retryJobs({ ids: [id] }, true);
      return this.afterAction(id, retried.length > 0, 'retry');
    },
    /** Deletes a job that is not running, with its logs and artifacts. */
    delete: async (id: string): Promise<void> => {
      const outcome = await this.store.deleteJob(id);
      if (outcome === 'missing') throw new KilnError('JOB_NOT_FOUND', `no job ${id}`);
      if (outcome === 'running') {
        throw new KilnError(
          'INVALID_TRANSITION',
          `job ${id} is running; cancel it before deleting it`,
        );
      }
    },
    logs: async (
      id: string,
      options: { afterId?: number; limit?: number } = {},
    ): Promise<LogEntry[]> =>
      this.store.listLogs(id, options.afterId ?? 0, pageLimit(options.limit)),
  };

  private async afterAction(id: string, changed: boolean, action: string): Promise<Job> {
    const job = await this.store.getJob(id);
    if (!job) throw new KilnError('JOB_NOT_FOUND', `no job ${id}`);
    if (!changed)
      throw new KilnError('INVALID_TRANSITION', `cannot ${action} job ${id}: it is ${job.state}`);
    return job;
  }

  readonly batches = {
    /** Creates a batch from a list of jobs, or from a template expanded over a grid. */
    create: async (input: CreateBatchInput): Promise<Batch> => {
      this.open();
      const batchId = newId();
      const now = Date.now();
      const base = { priority: input.priority, runAt: input.runAt };
      const jobs: NewJob[] = [];
      let template: string | null = null;
      let name = input.name;
      if ('template' in input) {
        checkOptionNames('batches.create', input, [
          'name',
          'metadata',
          'priority',
          'runAt',
          'template',
          'grid',
          'params',
        ]);
        const t = await this.store.getTemplate(input.template);
        if (!t) throw new KilnError('TEMPLATE_NOT_FOUND', `no template \`${input.template}\``);
        template = t.name;
        name ??= t.name;
        const grid = input.grid ?? t.grid ?? {};
        for (const cell of expandGrid(grid)) {
          const params = { ...t.params, ...input.params, ...cell.values };
          jobs.push(
            await this.newJob(
              t.type,
              params,
              clean({ ...base, name: cell.name || undefined }),
              batchId,
              now,
            ),
          );
        }
      } else {
        checkOptionNames('batches.create', input, [
          'name',
          'metadata',
          'priority',
          'runAt',
          'jobs',
        ]);
        if (!Array.isArray(input.jobs) || input.jobs.length === 0) {
          throw new KilnError(
            'INVALID_ARGUMENT',
            'a batch needs a non-empty `jobs` list or a `template`',
          );
        }
        for (const j of input.jobs) {
          const opts = clean({ ...base, name: j.name, priority: j.priority ?? input.priority });
          const job = this.newJob(j.type, j.params, opts, batchId, now);
          jobs.push(job instanceof Promise ? await job : job);
        }
      }
      await this.store.insertJobs(jobs, {
        id: batchId,
        name: name ?? `batch ${batchId.slice(0, 8)}`,
        template,
        metadata: input.metadata ?? null,
      });
      return (await this.store.getBatch(batchId))!;
    },
    get: async (id: string): Promise<Batch | null> => this.store.getBatch(id),
    list: async (options: { limit?: number; cursor?: string | null } = {}): Promise<Page<Batch>> =>
      this.store.listBatches({ limit: pageLimit(options.limit), cursor: options.cursor ?? null }),
    /** No new claims for the batch's jobs; running ones finish. */
    pause: async (id: string): Promise<Batch> => this.setPaused(id, true),
    resume: async (id: string): Promise<Batch> => this.setPaused(id, false),
    /** Pending jobs are cancelled; running ones are cancelled and their signals fire. */
    cancel: async (id: string): Promise<Batch> => {
      await this.store.cancelJobs({ batchId: id });
      return this.existingBatch(id);
    },
    /** Failed jobs of the batch go back to pending, each with a fresh attempt budget. */
    retryFailed: async (id: string): Promise<Batch> => {
      await this.store.retryJobs({ batchId: id }, false);
      return this.existingBatch(id);
    },
  };

  private async existingBatch(id: string): Promise<Batch> {
    const batch = await this.store.getBatch(id);
    if (!batch) throw new KilnError('BATCH_NOT_FOUND', `no batch ${id}`);
    return batch;
  }

  private async setPaused(id: string, paused: boolean): Promise<Batch> {
    if (!(await this.store.pauseBatch(id, paused))) {
      throw new KilnError('BATCH_NOT_FOUND', `no batch ${id}`);
    }
    return this.existingBatch(id);
  }

  readonly templates = {
    save: async (t: {
      name: string;
      type: string;
      description?: string;
      params?: Record<string, unknown>;
      grid?: Grid;
    }): Promise<Template> => {
      checkOptionNames('templates.save', t, ['name', 'type', 'description', 'params', 'grid']);
      if (typeof t.name !== 'string' || !/^[\w .:-]{1,100}$/.test(t.name)) {
        throw new KilnError(
          'INVALID_ARGUMENT',
          'template name must be 1-100 letters, digits, spaces or . _ : -',
        );
      }
      this.definition(t.type);
      if (t.grid) expandGrid(t.grid);
      return this.store.upsertTemplate({
        name: t.name,
        type: t.type,
        description: t.description ?? null,
        params: t.params ?? {},
        grid: t.grid ?? null,
        source: 'store',
      });
    },
    get: async (name: string): Promise<Template | null> => this.store.getTemplate(name),
    list: async (): Promise<Template[]> => this.store.listTemplates(),
    delete: async (name: string): Promise<boolean> => this.store.deleteTemplate(name),
  };

  readonly artifacts = {
    list: async (jobId: string): Promise<ArtifactInfo[]> => this.store.listArtifacts(jobId),
    /**
     * The folder holding the job's artifact files on this machine (the embedded store
     * keeps them beside the database), or null where the store keeps them elsewhere.
     */
    path: (jobId: string): string | null => {
      if (!isId(jobId)) throw new KilnError('INVALID_ARGUMENT', `not a job id: ${String(jobId)}`);
      return this.store.artifactFolder(jobId);
    },
    read: async (jobId: string, name: string): Promise<Buffer> => {
      const data = await this.store.readArtifact(jobId, name);
      if (data === null)
        throw new KilnError('ARTIFACT_NOT_FOUND', `job ${jobId} has no artifact \`${name}\``);
      return data;
    },
  };

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
    if (!Number.isInteger(cursor) || cursor < 0)
      throw new KilnError('INVALID_ARGUMENT', 'from must be a seq >= 0');
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
    this.open();
    const worker = new Worker(this.store, this.definitions, options).start();
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

  private open(): void {
    if (this.closed) throw new KilnError('STORE_CLOSED', 'this Kiln instance is closed');
  }
}

function pageLimit(limit: number | undefined): number {
  const n = limit ?? 50;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) {
    throw new KilnError('INVALID_ARGUMENT', `limit must be an integer from 1 to ${MAX_PAGE}`);
  }
  return n;
}

/** Drops undefined values so option checks and defaults see only what was given. */
function clean<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
