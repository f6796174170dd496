import { expectString, expectText } from '../core/arguments.ts';
import type { AnyJobDefinition } from '../core/define-job.ts';
import { checkOptionNames, KilnError } from '../core/errors.ts';
import { expandGrid, type Grid } from '../core/grid.ts';
import { newId } from '../core/ids.ts';
import type { Batch, BatchState, Page, Template, TimelineBucket } from '../core/model.ts';
import type { BatchFilter } from '../store/batch-filter.ts';
import type { Store } from '../store/store.ts';
import { checkWebhookOption } from '../webhooks/target.ts';
import { checkBucketMs, defaultBucketMs, fillBuckets } from './attempts.ts';
import type { EnqueueOptions, JobTypes } from './job-types.ts';
import { pageLimit } from './paging.ts';

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
  /** POST a signed summary here when the batch ends (src/webhooks); a template's by default. */
  webhook?: { url: string };
  /** At most this many of the batch's jobs run at once, over every worker (an integer >= 1). */
  concurrency?: number;
} & (
  | { jobs: BatchJobInput[] }
  | { template: string; grid?: Grid; params?: Record<string, unknown> }
);

const COMMON = ['name', 'metadata', 'priority', 'runAt', 'webhook', 'concurrency'];

export interface ListBatchesOptions {
  /** One or more batch states (derived from the jobs). */
  state?: BatchState | BatchState[];
  /** Case-insensitive substring of the name. */
  q?: string;
  /** The template the batches were created from. */
  template?: string;
  limit?: number;
  cursor?: string | null;
}

const BATCH_STATES: BatchState[] = [
  'pending',
  'running',
  'paused',
  'completed',
  'failed',
  'cancelled',
];

/** The cap as given, or a clear INVALID_ARGUMENT for anything but an integer >= 1. */
function checkConcurrency(value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new KilnError(
      'INVALID_ARGUMENT',
      `concurrency must be an integer >= 1, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function listFilter(options: ListBatchesOptions): BatchFilter {
  const filter: BatchFilter = {};
  if (options.state !== undefined) {
    const states = Array.isArray(options.state) ? options.state : [options.state];
    for (const s of states) {
      if (!BATCH_STATES.includes(s)) {
        throw new KilnError(
          'INVALID_ARGUMENT',
          `state must be one of ${BATCH_STATES.join(', ')}, got ${JSON.stringify(s)}`,
        );
      }
    }
    filter.state = states;
  }
  if (options.q !== undefined) filter.q = expectString('q', options.q);
  if (options.template !== undefined) filter.template = expectString('template', options.template);
  return filter;
}

/** A template's jobs: its params, merged with `params`, over each cell of its (or `grid`'s) grid. */
export function templateJobs(
  t: Template,
  grid: Grid | undefined,
  params: Record<string, unknown> | undefined,
  base: EnqueueOptions,
) {
  return expandGrid(grid ?? t.grid ?? {}).map((cell) => ({
    type: t.type,
    params: { ...t.params, ...params, ...cell.values },
    options: clean({ ...base, name: cell.name || undefined }),
  }));
}

/** `kiln.batches`: create batches (a list, or a template over a grid), read them, act on them. */
export function batchesApi(
  store: Store,
  types: JobTypes,
  assertOpen: () => void,
  webhooks: { allowPrivate: boolean },
) {
  const existing = async (id: string): Promise<Batch> => {
    const batch = await store.getBatch(id);
    if (!batch) throw new KilnError('BATCH_NOT_FOUND', `no batch ${id}`);
    return batch;
  };
  const setPaused = async (id: string, paused: boolean): Promise<Batch> => {
    if (!(await store.pauseBatch(id, paused)))
      throw new KilnError('BATCH_NOT_FOUND', `no batch ${id}`);
    return existing(id);
  };
  /** The batch's jobs, before anything is written: a template is expanded over its grid. */
  const jobInputs = async (input: CreateBatchInput) => {
    const base = { priority: input.priority, runAt: input.runAt };
    if ('template' in input) {
      checkOptionNames('batches.create', input, [...COMMON, 'template', 'grid', 'params']);
      const t = await store.getTemplate(input.template);
      if (!t) throw new KilnError('TEMPLATE_NOT_FOUND', `no template \`${input.template}\``);
      const jobs = templateJobs(t, input.grid, input.params, base);
      return { jobs, template: t.name, name: input.name ?? t.name, webhook: t.webhook };
    }
    checkOptionNames('batches.create', input, [...COMMON, 'jobs']);
    if (!Array.isArray(input.jobs) || input.jobs.length === 0) {
      throw new KilnError(
        'INVALID_ARGUMENT',
        'a batch needs a non-empty `jobs` list or a `template`',
      );
    }
    const jobs = input.jobs.map((j, n) => {
      checkOptionNames(`batches.create jobs[${n}]`, j, ['type', 'params', 'name', 'priority']);
      return {
        type: j.type,
        params: j.params,
        options: clean({ ...base, name: j.name, priority: j.priority ?? input.priority }),
      };
    });
    return { jobs, template: null, name: input.name, webhook: null };
  };
  return {
    /** Creates a batch from a list of jobs, or from a template expanded over a grid. */
    create: async (input: CreateBatchInput): Promise<Batch> => {
      assertOpen();
      const batchId = newId();
      // Checked first: a refused webhook creates nothing.
      const ownWebhook = checkWebhookOption(input.webhook, webhooks.allowPrivate);
      const concurrency = checkConcurrency(input.concurrency);
      const { jobs, template, name, webhook } = await jobInputs(input);
      await types.insert(store, jobs, Date.now(), {
        id: batchId,
        name: name == null ? `batch ${batchId.slice(0, 8)}` : expectText('name', name, 200),
        template,
        metadata: input.metadata ?? null,
        // A template's webhook was checked when it was saved.
        webhookUrl: ownWebhook ?? webhook?.url ?? null,
        concurrency,
      });
      return existing(batchId);
    },
    get: async (id: string): Promise<Batch | null> => store.getBatch(id),
    /** Newest first, optionally filtered by state, name substring and template. */
    list: async (options: ListBatchesOptions = {}): Promise<Page<Batch>> => {
      checkOptionNames('batches.list', options, ['state', 'q', 'template', 'limit', 'cursor']);
      return store.listBatches(
        { limit: pageLimit(options.limit), cursor: options.cursor ?? null },
        listFilter(options),
      );
    },
    /**
     * Completed and failed jobs per time bucket (by `finishedAt`), empty buckets included
     * from the first to the last; `bucketMs` (>= 100) defaults to one giving <= ~200 buckets.
     */
    timeline: async (
      id: string,
      options: { bucketMs?: number } = {},
    ): Promise<{ bucketMs: number; items: TimelineBucket[] }> => {
      checkOptionNames('batches.timeline', options, ['bucketMs']);
      const given = checkBucketMs(options.bucketMs);
      await existing(id);
      const bucketMs = given ?? defaultBucketMs(await store.batchFinishSpan(id));
      return {
        bucketMs,
        items: fillBuckets(await store.finishedPerBucket(id, bucketMs), bucketMs),
      };
    },
    /** No new claims for the batch's jobs; running ones finish. */
    pause: async (id: string): Promise<Batch> => setPaused(id, true),
    resume: async (id: string): Promise<Batch> => setPaused(id, false),
    /** Pending jobs are cancelled; running ones are cancelled and their signals fire. */
    cancel: async (id: string): Promise<Batch> => {
      await store.cancelJobs({ batchId: id });
      return existing(id);
    },
    /** Failed jobs of the batch go back to pending, each with a fresh attempt budget. */
    retryFailed: async (id: string): Promise<Batch> => {
      await store.retryJobs({ batchId: id }, false);
      return existing(id);
    },
  };
}

/** Drops undefined values so option checks and defaults see only what was given. */
function clean<T extends object>(o: T): EnqueueOptions {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as EnqueueOptions;
}
