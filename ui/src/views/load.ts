/** Reads that feed the live store. */
import { api, type BatchFilter } from '../api/index.ts';
import type { BatchBody } from '../api/types.ts';
import { readSynced, streamStarted, whenStreamStarted } from '../live/connection.ts';
import { store } from '../live/store.ts';

/** Batches by filter, one page, into the store. Answers the next page's cursor. */
export async function loadBatches(
  filter: BatchFilter,
  cursor: string | null = null,
): Promise<string | null> {
  let next: string | null = null;
  await readSynced(async () => {
    const page = await api.batches({ ...filter, cursor, limit: 100 });
    for (const b of page.items) store.putBatch(b);
    next = page.nextCursor;
  });
  return next;
}

/**
 * Every job of a batch, page by page (1000 a page), into the store. The pages read
 * before the event stream started are read again once it has (live/connection.ts
 * readSynced says why); usually that is the first one or two of a large batch.
 */
export async function loadBatchJobs(batchId: string, signal: AbortSignal): Promise<void> {
  const readPage = async (cursor: string | null) => {
    const page = await api.jobs({ batchId, cursor, limit: 1000 });
    if (!signal.aborted) for (const j of page.items) store.putJob(j);
    return page.nextCursor;
  };
  const early: (string | null)[] = [];
  let cursor: string | null = null;
  do {
    if (!streamStarted()) early.push(cursor);
    cursor = await readPage(cursor);
    if (signal.aborted) return;
  } while (cursor !== null);
  if (early.length === 0) return;
  await whenStreamStarted();
  for (const c of early) {
    if (signal.aborted) return;
    await readPage(c);
  }
}

/** The filter applied to the batches the store holds (the stream brings others too). */
export function matchesBatch(b: BatchBody, filter: BatchFilter): boolean {
  if (filter.state && !filter.state.split(',').includes(b.state)) return false;
  if (filter.q && !b.name.toLowerCase().includes(filter.q.toLowerCase())) return false;
  if (filter.template && b.template !== filter.template) return false;
  return true;
}
