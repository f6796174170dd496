import type { NewBatch, NewJob, TemplateTick } from '../store.ts';
import type { PgConnection } from './connection.ts';
import { INSERT_JOBS, insertJobsValues } from './jobs.ts';

/**
 * As in the SQLite store (sqlite/schedules.ts): the tick is taken by moving the
 * template's last tick forward in the transaction that inserts its batch. Two schedulers
 * updating the row at once queue on its lock; the second re-checks the condition on the
 * row the first committed, finds the tick taken, and inserts nothing.
 */
export async function claimTemplateTick(
  c: PgConnection,
  tick: TemplateTick,
  jobs: NewJob[],
  batch?: NewBatch,
): Promise<boolean> {
  return c.write(async (tx) => {
    const moved = await tx.client.query(
      `UPDATE templates SET last_tick_at_ms = $1
       WHERE name = $2 AND schedule = $3 AND (last_tick_at_ms IS NULL OR last_tick_at_ms < $1)`,
      [tick.atMs, tick.template, tick.schedule],
    );
    if (moved.rowCount !== 1) return false;
    if (batch) {
      await tx.client.query({
        name: 'kiln_insert_jobs',
        text: INSERT_JOBS,
        values: insertJobsValues(jobs, batch) as unknown[],
      });
      tx.changed();
    }
    return true;
  });
}
