import { sqlStateList } from '../../core/lifecycle.ts';
import type { PgConnection } from './connection.ts';
import { deleteJobRows } from './jobs.ts';

/**
 * Deletes finished jobs whose retention expired, with their params, logs and artifacts
 * (artifacts live in the database here, so there are no files to remove after), and
 * every batch whose last job went with them. SKIP LOCKED lets several workers prune at
 * once without waiting on each other.
 */
export async function pruneExpired(
  c: PgConnection,
  limit: number,
): Promise<{ jobs: number; batches: number }> {
  return c.write(async (tx) => {
    const rows = (
      await tx.client.query<{ id: string; batch_id: string | null }>(
        `SELECT id, batch_id FROM jobs WHERE expires_at_ms <= $1 AND state IN (${sqlStateList('expire')})
         LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [tx.nowMs, limit],
      )
    ).rows;
    if (rows.length === 0) return { jobs: 0, batches: 0 };
    await deleteJobRows(
      tx,
      rows.map((r) => r.id),
    );
    const batchIds = [...new Set(rows.map((r) => r.batch_id).filter((b) => b !== null))];
    const batches = batchIds.length
      ? ((
          await tx.client.query(
            `DELETE FROM batches WHERE id = ANY($1::text[])
             AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.batch_id = batches.id)`,
            [batchIds],
          )
        ).rowCount ?? 0)
      : 0;
    return { jobs: rows.length, batches };
  });
}

export async function deleteJob(
  c: PgConnection,
  id: string,
): Promise<'deleted' | 'running' | 'missing'> {
  return c.write(async (tx) => {
    const [row] = (
      await tx.client.query<{ state: string }>('SELECT state FROM jobs WHERE id = $1 FOR UPDATE', [
        id,
      ])
    ).rows;
    if (!row) return 'missing' as const;
    if (row.state === 'running') return 'running' as const;
    await deleteJobRows(tx, [id]);
    return 'deleted' as const;
  });
}
