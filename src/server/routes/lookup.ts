/** Finding what a path names, or the 404 that says it is not there. */
import { KilnError } from '../../core/errors.ts';
import { isId } from '../../core/ids.ts';
import type { Batch, Job } from '../../core/model.ts';
import type { Kiln } from '../../kiln.ts';

// A string that is not an id names nothing: answered without asking the store.
export async function findJob(kiln: Kiln, id: string): Promise<Job> {
  const job = isId(id) ? await kiln.jobs.get(id) : null;
  if (!job) throw new KilnError('JOB_NOT_FOUND', `no job ${id}`);
  return job;
}

export function jobId(id: string): string {
  if (!isId(id)) throw new KilnError('JOB_NOT_FOUND', `no job ${id}`);
  return id;
}

export async function findBatch(kiln: Kiln, id: string): Promise<Batch> {
  const batch = isId(id) ? await kiln.batches.get(id) : null;
  if (!batch) throw new KilnError('BATCH_NOT_FOUND', `no batch ${id}`);
  return batch;
}

export function batchId(id: string): string {
  if (!isId(id)) throw new KilnError('BATCH_NOT_FOUND', `no batch ${id}`);
  return id;
}

/** `runAt` as sent (ISO string or epoch ms) to what the facade takes. */
export function runAtOf(runAt: string | number | undefined): Date | number | undefined {
  return typeof runAt === 'string' ? new Date(runAt) : runAt;
}

/** Drops undefined fields: the facade's option checks see only what the client sent. */
export function defined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as never;
}
