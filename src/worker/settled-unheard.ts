import { attemptEnd, type Settle, type Store } from '../store/store.ts';

/**
 * Whether a settle the store refused had been written all the same, by an earlier send
 * of the same turn: a turn whose commit went unheard (the connection lost between the
 * commit and its answer) is sent again, and then its settles find their attempts ended
 * and are refused by their fences, as a lost lease's would be. The job says which it was:
 * completed or failed by this attempt, or this attempt ended in its history as this
 * settle ends it, under this worker's lease. Asked only for settles sent again, so never
 * on a turn's usual path.
 */
export async function settledUnheard(store: Store, s: Settle): Promise<boolean> {
  const { id, attempt, owner } = s.fence;
  if (s.kind === 'complete' || s.kind === 'fail') {
    const job = await store.getJob(id);
    const state = s.kind === 'complete' ? 'completed' : 'failed';
    if (job?.state === state && job.attempt === attempt) return true;
    // A completion is never retried (its job stays completed); a failure may have been.
    if (s.kind === 'complete') return false;
  }
  const ended = attemptEnd(s.kind, false);
  return (await store.listAttempts(id)).some(
    (a) => a.attempt === attempt && a.state === ended && a.leaseOwner === owner,
  );
}
