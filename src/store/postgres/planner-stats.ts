/**
 * Keeps PostgreSQL's planner statistics of `jobs` in step with bursts of enqueues.
 *
 * Why: the claim (`ORDER BY priority DESC, run_at_ms, rid LIMIT n FOR UPDATE SKIP
 * LOCKED`) is cheap only as an ordered walk of the `jobs_pending` index. Planned on
 * statistics from before a burst (autovacuum analyzes a table about a minute after it
 * changes, at the earliest), PostgreSQL estimates a handful of pending rows and picks a
 * bitmap scan of every pending row plus a sort instead, so each claim reads the whole
 * queue: with 20,000 jobs just enqueued, 25 ms a claim instead of 0.3 ms (EXPLAIN
 * ANALYZE of the claim, 250 rows), and a drain that slows as the queue grows. The
 * documented remedy for a bulk load is ANALYZE; this runs it right after one.
 *
 * When: after this process inserted at least `MIN_ROWS` jobs and a fifth of the rows the
 * statistics last counted (`pg_class.reltuples`), so a large table with steady traffic
 * is left to autovacuum. In the background on the pool, one at a time, never awaited by
 * the enqueue (an ANALYZE samples at most 30,000 rows: tens of milliseconds); a failure
 * is ignored, since stale statistics only cost speed.
 */
import type { PgConnection } from './connection.ts';

const MIN_ROWS = 1_000;
const SHARE = 0.2;

export class PlannerStats {
  private readonly c: PgConnection;
  /** Jobs this process inserted since its last ANALYZE (or since it opened). */
  private inserted = 0;
  /** The row count the statistics held at the last look; unknown until the first. */
  private counted = 0;
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(c: PgConnection) {
    this.c = c;
  }

  /** Called after each committed insert of `n` jobs. */
  noteInserted(n: number): void {
    this.inserted += n;
    if (this.running !== undefined || this.closed) return;
    if (this.inserted < MIN_ROWS || this.inserted < SHARE * this.counted) return;
    this.running = this.analyze().finally(() => {
      this.running = undefined;
    });
  }

  private async analyze(): Promise<void> {
    const batch = this.inserted;
    try {
      await this.c.query('ANALYZE jobs');
      const [row] = await this.c.query<{ n: number }>(
        `SELECT reltuples::float8 AS n FROM pg_class WHERE oid = 'jobs'::regclass`,
      );
      this.counted = Math.max(0, row?.n ?? 0);
      this.inserted -= batch;
    } catch {
      // Stale statistics cost speed, never correctness; the next burst tries again.
    }
  }

  /** Waits for an ANALYZE in flight, so closing the pool does not cut it off. */
  async close(): Promise<void> {
    this.closed = true;
    await this.running;
  }
}
