import type { Grid } from '../../core/grid.ts';
import type { Batch, Job, Page, Template } from '../../core/model.ts';
import { type FollowOptions, followEvents } from './follow-events.ts';
import { type ConnectionOptions, HttpConnection } from './http.ts';
import { reviveBatch, reviveJob, reviveTemplate } from './revive.ts';

/** `POST /api/jobs`. */
export interface SubmitJobInput {
  type: string;
  params: unknown;
  priority?: number;
  /** ISO 8601. */
  runAt?: string;
  idempotencyKey?: string;
  name?: string;
}

/** `POST /api/batches`: a list of jobs, or a template over a grid. */
export type CreateBatchBody = {
  name?: string;
  metadata?: Record<string, unknown>;
  priority?: number;
  runAt?: string;
  webhook?: string;
  /** At most this many of its jobs run at once, over every worker. */
  concurrency?: number;
} & (
  | { jobs: { type: string; params: unknown; name?: string; priority?: number }[] }
  | { template: string; grid?: Grid; params?: Record<string, unknown> }
);

export interface ListJobsQuery {
  /** Comma-separated states. */
  state?: string;
  type?: string;
  batchId?: string;
  limit?: number;
  cursor?: string;
}

export interface ListQuery {
  limit?: number;
  cursor?: string;
}

type Raw = Record<string, unknown>;
const page = <T>(raw: Page<Raw>, revive: (r: unknown) => T): Page<T> => ({
  items: raw.items.map(revive),
  nextCursor: raw.nextCursor,
});
const id = (value: string) => encodeURIComponent(value);

/**
 * The Kiln HTTP API, typed (docs/API.md): what the `kiln` client commands call.
 * Answers carry the library's own types (times revived as Dates).
 */
export class KilnClient {
  readonly http: HttpConnection;

  constructor(options: ConnectionOptions) {
    this.http = new HttpConnection(options);
  }

  get url(): string {
    return this.http.baseUrl;
  }

  readonly jobs = {
    submit: async (input: SubmitJobInput): Promise<Job> =>
      reviveJob(await this.http.json('POST', '/api/jobs', { body: input })),
    get: async (jobId: string): Promise<Job> =>
      reviveJob(await this.http.json('GET', `/api/jobs/${id(jobId)}`)),
    list: async (query: ListJobsQuery = {}): Promise<Page<Job>> =>
      page(await this.http.json('GET', '/api/jobs', { query: { ...query } }), reviveJob),
    cancel: async (jobId: string): Promise<Job> =>
      reviveJob(await this.http.json('POST', `/api/jobs/${id(jobId)}/cancel`)),
    retry: async (jobId: string): Promise<Job> =>
      reviveJob(await this.http.json('POST', `/api/jobs/${id(jobId)}/retry`)),
  };

  readonly batches = {
    create: async (body: CreateBatchBody): Promise<Batch> =>
      reviveBatch(await this.http.json('POST', '/api/batches', { body })),
    get: async (batchId: string): Promise<Batch> =>
      reviveBatch(await this.http.json('GET', `/api/batches/${id(batchId)}`)),
    list: async (query: ListQuery = {}): Promise<Page<Batch>> =>
      page(await this.http.json('GET', '/api/batches', { query: { ...query } }), reviveBatch),
    /** `pause`, `resume`, `cancel` or `retry-failed`. */
    act: async (
      batchId: string,
      action: 'pause' | 'resume' | 'cancel' | 'retry-failed',
    ): Promise<Batch> =>
      reviveBatch(await this.http.json('POST', `/api/batches/${id(batchId)}/${action}`)),
    /** The ZIP export's response, its body not yet read. */
    export: async (batchId: string, signal?: AbortSignal): Promise<Response> =>
      this.http.send('GET', `/api/batches/${id(batchId)}/export`, {
        headers: { accept: 'application/zip' },
        ...(signal ? { signal } : {}),
      }),
    /** Every job of a batch, all pages, in creation (grid) order. */
    jobs: async (batchId: string): Promise<Job[]> => {
      const all: Job[] = [];
      let cursor: string | null = null;
      do {
        const p: Page<Job> = await this.jobs.list({
          batchId,
          limit: 1_000,
          ...(cursor ? { cursor } : {}),
        });
        all.push(...p.items);
        cursor = p.nextCursor;
      } while (cursor !== null);
      // Ids are time-ordered UUIDv7s: sorting by id is creation order.
      return all.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },
  };

  readonly templates = {
    get: async (name: string): Promise<Template> =>
      reviveTemplate(await this.http.json('GET', `/api/templates/${id(name)}`)),
  };

  /** Deletes what retention has expired: jobs with their logs and files, empty batches. */
  prune = async (): Promise<{ jobs: number; batches: number }> =>
    this.http.json('POST', '/api/prune');

  /** The live event stream, resumed across dropped connections (follow-events.ts). */
  events = (options: FollowOptions = {}) => followEvents(this.http, options);
}
