/** Reads that feed the live store. */
import { api, type BatchFilter } from '../api/index.ts';
import type { BatchBody } from '../api/types.ts';
import { store } from '../live/store.ts';

/** Batches by filter, one page, into the store. Answers the next page's cursor. */
export async function loadBatches(
  filter: BatchFilter,
  cursor: string | null = null,
): Promise<string | null> {
  const page = await api.batches({ ...filter, cursor, limit: 100 });
  for (const b of page.items) store.putBatch(b);
  return page.nextCursor;
}

/** Every job of a batch, page by page (1000 a page), into the store. */
export async function loadBatchJobs(batchId: string, signal: AbortSignal): Promise<void> {
  let cursor: string | null = null;
  do {
    const page = await api.jobs({ batchId, cursor, limit: 1000 });
    if (signal.aborted) return;
    for (const j of page.items) store.putJob(j);
    cursor = page.nextCursor;
  } while (cursor !== null);
}

/** The filter applied to the batches the store holds (the stream brings others too). */
export function matchesBatch(b: BatchBody, filter: BatchFilter): boolean {
  if (filter.state && !filter.state.split(',').includes(b.state)) return false;
  if (filter.q && !b.name.toLowerCase().includes(filter.q.toLowerCase())) return false;
  if (filter.template && b.template !== filter.template) return false;
  return true;
}
