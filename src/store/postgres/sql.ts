/** SQL pieces shared by the PostgreSQL store's modules. */

/** Quotes an identifier for SQL. */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * The feed position of a write transaction: its transaction id. Every row a transaction
 * changes is stamped with it. Transaction ids are not in commit order, so a reader only
 * reads rows stamped below the oldest transaction still running (feed.ts); any commit
 * still to come has an id at or above that, so nothing is ever skipped.
 */
export const TX_SEQ = 'pg_current_xact_id()::text::bigint';

/** Below this position every transaction has ended: the feed's safe horizon. */
export const FEED_HORIZON = 'pg_snapshot_xmin(pg_current_snapshot())::text::bigint';

/** The database clock in ms since the epoch: leases are measured on it, never a machine's. */
export const DB_NOW_MS = '(extract(epoch from clock_timestamp()) * 1000)::bigint';
