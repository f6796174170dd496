import type { AnyJobDefinition } from '../core/define-job.ts';
import { checkOptionNames, KilnError } from '../core/errors.ts';
import { expandGrid, type Grid } from '../core/grid.ts';
import { newId } from '../core/ids.ts';
import type { Batch, Page, Template } from '../core/model.ts';
import type { Store } from '../store/store.ts';
import { checkWebhookOption } from '../webhooks/target.ts';
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
} & (
  | { jobs: BatchJobInput[] }
  | { template: string; grid?: Grid; params?: Record<string, unknown> }
);

const COMMON = ['name', 'metadata', 'priority', 'runAt', 'webhook'];

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
    const jobs = input.jobs.map((j) => ({
      type: j.type,
      params: j.params,
      options: clean({ ...base, name: j.name, priority: j.priority ?? input.priority }),
    }));
    return { jobs, template: null, name: input.name, webhook: null };
  };
  return {
    /** Creates a batch from a list of jobs, or from a template expanded over a grid. */
    create: async (input: CreateBatchInput): Promise<Batch> => {
      assertOpen();
      const batchId = newId();
      // Checked first: a refused webhook creates nothing.
      const ownWebhook = checkWebhookOption(input.webhook, webhooks.allowPrivate);
      const { jobs, template, name, webhook } = await jobInputs(input);
      const rows = await types.newJobs(jobs, batchId, Date.now());
      await store.insertJobs(rows, {
        id: batchId,
        name: name ?? `batch ${batchId.slice(0, 8)}`,
        template,
        metadata: input.metadata ?? null,
        // A template's webhook was checked when it was saved.
        webhookUrl: ownWebhook ?? webhook?.url ?? null,
      });
      return existing(batchId);
    },
    get: async (id: string): Promise<Batch | null> => store.getBatch(id),
    list: async (options: { limit?: number; cursor?: string | null } = {}): Promise<Page<Batch>> =>
      store.listBatches({ limit: pageLimit(options.limit), cursor: options.cursor ?? null }),
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
