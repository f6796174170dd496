import type { Batch, Job } from '../../core/model.ts';
import { ClientError, type KilnClient } from '../client/index.ts';

export type Found = { kind: 'job'; job: Job } | { kind: 'batch'; batch: Batch };

const notFound = (e: unknown) => e instanceof ClientError && e.status === 404;

/**
 * Jobs and batches share one id space (UUIDv7), so an id alone does not say which it
 * is: ask for a job, then for a batch. Not found as either is one NOT_FOUND error.
 */
export async function findJobOrBatch(client: KilnClient, id: string): Promise<Found> {
  try {
    return { kind: 'job', job: await client.jobs.get(id) };
  } catch (error) {
    if (!notFound(error)) throw error;
  }
  try {
    return { kind: 'batch', batch: await client.batches.get(id) };
  } catch (error) {
    if (!notFound(error)) throw error;
  }
  throw new ClientError('NOT_FOUND', `no job or batch ${id}`, 404);
}
