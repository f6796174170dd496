import type { NewBatch, NewJob, TemplateTick } from '../store.ts';
import type { SqliteConnection } from './connection.ts';
import { insertJobsIn } from './jobs.ts';

/**
 * A tick is taken by moving the template's last tick forward (compare-and-set) in the
 * transaction that inserts its batch: of several schedulers that computed the same tick,
 * one moves it and the others find it moved and write nothing. A tick never moves back,
 * so a tick once taken is never taken again.
 */
export function claimTemplateTick(
  c: SqliteConnection,
  tick: TemplateTick,
  jobs: NewJob[],
  batch?: NewBatch,
): boolean {
  return c.write((tx) => {
    const moved = c.run(
      `UPDATE templates SET last_tick_at_ms = ?
       WHERE name = ? AND schedule = ? AND (last_tick_at_ms IS NULL OR last_tick_at_ms < ?)`,
      tick.atMs,
      tick.template,
      tick.schedule,
      tick.atMs,
    );
    if (moved !== 1) return false;
    if (batch) insertJobsIn(c, tx, jobs, batch);
    return true;
  });
}
