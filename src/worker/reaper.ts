import type { AnyJobDefinition } from '../core/define-job.ts';
import { KilnError } from '../core/errors.ts';
import type { StalledSettle, Store } from '../store/store.ts';
import { isDeadLocalWorker } from './liveness.ts';
import { decideFailure } from './outcome.ts';

/**
 * Finds stalled attempts of any worker and decides each one: retried with backoff, or
 * failed when its attempts are spent. The decisions are settled in the next turn, fenced
 * on the lease still being expired, so two reapers never settle one attempt twice.
 *
 * With `detectDeadWorkers`, the leases of local workers whose process is gone are
 * expired first (liveness.ts): their jobs need not wait for the leases to lapse.
 */
export async function findStalled(
  store: Store,
  definitions: ReadonlyMap<string, AnyJobDefinition>,
  self: string,
  detectDeadWorkers: boolean,
): Promise<StalledSettle[]> {
  if (detectDeadWorkers) {
    for (const owner of await store.leaseOwners()) {
      if (owner !== self && isDeadLocalWorker(owner)) await store.expireLeases(owner);
    }
  }
  const expired = await store.expiredLeases(100);
  if (expired.length === 0) return [];
  const error = new KilnError(
    'LEASE_EXPIRED',
    "the attempt's lease expired: its worker crashed or hung",
  );
  return expired.map((e) => {
    const fence = { id: e.id, attempt: e.attempt, owner: e.owner, row: e.row };
    return decideFailure(fence, e.maxAttempts, definitions.get(e.type), { error });
  });
}
