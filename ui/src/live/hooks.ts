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

export function useBatchJobIds(batchId: string): readonly string[] {
  useKey(`batch-jobs:${batchId}`);
  return store.jobIdsOf(batchId).slice();
}

export function useFinishes(batchId: string) {
  useKey(`finishes:${batchId}`);
  return store.finishes.get(batchId) ?? [];
}

export function useConnectionStatus(): ConnectionStatus {
  const [s, set] = useState(connection.status);
  useEffect(() => connection.subscribe(set), []);
  return s;
}

/** Re-renders every `ms` (ticking heartbeat ages). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
