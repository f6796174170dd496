import type { BatchCounts, BatchState } from './model.ts';

/** A batch's state, derived from its flags and its jobs' counts (never stored). */
export function batchState(counts: BatchCounts, paused: boolean, cancelled: boolean): BatchState {
  const open = counts.pending + counts.running;
  if (open === 0) {
    if (cancelled || (counts.total > 0 && counts.cancelled === counts.total)) return 'cancelled';
    return counts.failed > 0 ? 'failed' : 'completed';
  }
  if (paused) return 'paused';
  const started = counts.running + counts.completed + counts.failed + counts.cancelled;
  return started > 0 ? 'running' : 'pending';
}

/** Time left at the pace so far: elapsed × remaining ÷ done. */
export function batchEtaMs(
  state: BatchState,
  total: number,
  doneUnits: number,
  startedAtMs: number | null,
  nowMs: number,
): number | null {
  if (state !== 'running' || startedAtMs === null || doneUnits <= 0 || total === 0) return null;
  const elapsed = Math.max(0, nowMs - startedAtMs);
  return Math.round((elapsed * (total - doneUnits)) / doneUnits);
}
