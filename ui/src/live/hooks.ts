/** React bindings of the live store: a component re-renders only when its key changes. */
import { useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import type { BatchBody, JobBody } from '../api/types.ts';
import { connection } from './connection.ts';
import type { ConnectionStatus } from './follow.ts';
import { store } from './store.ts';

function useKey(key: string): number {
  return useSyncExternalStore(
    (cb) => store.subscribe(key, cb),
    () => store.version(key),
  );
}

export function useJob(id: string | undefined): JobBody | undefined {
  useKey(`job:${id}`);
  return id === undefined ? undefined : store.jobs.get(id);
}

export function useBatch(id: string | undefined): BatchBody | undefined {
  useKey(`batch:${id}`);
  return id === undefined ? undefined : store.batches.get(id);
}

/** Every batch held, newest first. */
export function useBatches(): BatchBody[] {
  const v = useKey('batches');
  // biome-ignore lint/correctness/useExhaustiveDependencies: v is the store's version
  return useMemo(
    () => [...store.batches.values()].sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1)),
    [v],
  );
}

/**
 * Jobs the store first saw after `since.mark` (LiveStore.jobsSeen), created after
 * `since.ms`, that `matches` keeps and `known` does not hold, newest first: what a list
 * read then has not got. Only the arrivals since the mark are looked at, not every job
 * held: this runs on each frame in which a job changed.
 */
export function useNewJobIds(
  since: { mark: number; ms: number } | null,
  known: ReadonlySet<string>,
  matches: (job: JobBody) => boolean,
): string[] {
  const v = useKey('jobs');
  // biome-ignore lint/correctness/useExhaustiveDependencies: v is the store's version
  return useMemo(() => {
    if (since === null) return [];
    const fresh: JobBody[] = [];
    for (const id of store.jobsSeenSince(since.mark)) {
      const j = store.jobs.get(id)!;
      if (!known.has(id) && Date.parse(j.createdAt) >= since.ms && matches(j)) fresh.push(j);
    }
    // Ids are time-ordered (UUIDv7): newest first, as the API lists them.
    return fresh.sort((a, b) => (a.id < b.id ? 1 : -1)).map((j) => j.id);
  }, [v, since, known, matches]);
}

export function useBatchJobIds(batchId: string): readonly string[] {
  useKey(`batch-jobs:${batchId}`);
  return store.jobIdsOf(batchId).slice();
}

export function useConnectionStatus(): ConnectionStatus {
  const [s, set] = useState(connection.status);
  useEffect(() => connection.subscribe(set), []);
  return s;
}

/**
 * The time, ticking every second: one timer shared by every subscriber (each heartbeat
 * age on a page of 10,000 rows had its own interval), so React renders all of them in
 * one pass per tick.
 */
const ticker = (() => {
  const listeners = new Set<() => void>();
  let now = Date.now();
  let timer: ReturnType<typeof setInterval> | undefined;
  return {
    subscribe(listener: () => void): () => void {
      listeners.add(listener);
      timer ??= setInterval(() => {
        now = Date.now();
        for (const l of listeners) l();
      }, 1000);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && timer !== undefined) {
          clearInterval(timer);
          timer = undefined;
        }
      };
    },
    now: () => now,
  };
})();

export function useNow(): number {
  return useSyncExternalStore(ticker.subscribe, ticker.now);
}
