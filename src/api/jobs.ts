import { expectStates, expectString } from '../core/arguments.ts';
import { checkOptionNames, KilnError } from '../core/errors.ts';
import type { JobState } from '../core/lifecycle.ts';
import type { Attempt, Job, LogEntry, Page } from '../core/model.ts';
import type { Store } from '../store/store.ts';
import { jobAttempts } from './attempts.ts';
import { pageLimit } from './paging.ts';

export interface ListJobsOptions {
  state?: JobState | JobState[];
  type?: string;
  batchId?: string;
  limit?: number;
  cursor?: string | null;
}

/** `kiln.jobs`: read jobs and act on one. */
export function jobsApi(store: Store) {
  const afterAction = async (id: string, changed: boolean, action: string): Promise<Job> => {
    const job = await store.getJob(id);
    if (!job) throw new KilnError('JOB_NOT_FOUND', `no job ${id}`);
    if (!changed) {
      throw new KilnError('INVALID_TRANSITION', `cannot ${action} job ${id}: it is ${job.state}`);
    }
    return job;
  };
  return {
    get: async (id: string): Promise<Job | null> => store.getJob(expectString('id', id)),
    list: async (options: ListJobsOptions = {}): Promise<Page<Job>> => {
      checkOptionNames('jobs.list', options, ['state', 'type', 'batchId', 'limit', 'cursor']);
      const filter: { state?: JobState | JobState[]; type?: string; batchId?: string } = {};
      if (options.state !== undefined) filter.state = expectStates(options.state);
      if (options.type !== undefined) filter.type = expectString('type', options.type);
      if (options.batchId !== undefined) filter.batchId = expectString('batchId', options.batchId);
      const cursor = options.cursor == null ? null : expectString('cursor', options.cursor);
      return store.listJobs(filter, { limit: pageLimit(options.limit), cursor });
    },
    /** Cancels a pending or running job; a running handler's signal fires. */
    cancel: async (id: string): Promise<Job> => {
      const cancelled = await store.cancelJobs({ ids: [id] });
      return afterAction(id, cancelled.length > 0, 'cancel');
    },
    /** Moves a failed or cancelled job back to pending with a fresh attempt budget. */
    retry: async (id: string): Promise<Job> => {
      const retried = await store.retryJobs({ ids: [id] }, true);
      return afterAction(id, retried.length > 0, 'retry');
    },
    /** The job's attempts, oldest first, the current (or last) one last. */
    attempts: async (id: string): Promise<Attempt[]> => {
      const job = await store.getJob(expectString('id', id));
      if (!job) throw new KilnError('JOB_NOT_FOUND', `no job ${id}`);
      return jobAttempts(job, await store.listAttempts(id));
    },
    /** Deletes a job that is not running, with its logs and artifacts. */
    delete: async (id: string): Promise<void> => {
      const outcome = await store.deleteJob(id);
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
    ): Promise<LogEntry[]> => store.listLogs(id, options.afterId ?? 0, pageLimit(options.limit)),
  };
}
