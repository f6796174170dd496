import { sqlStateList } from '../../core/lifecycle.ts';
import type { ArtifactFiles } from './artifact-files.ts';
import { CHANGES_AFTER, DELETE_CHANGE } from './change-log.ts';
import type { SqliteConnection } from './connection.ts';
import { deleteJobRows } from './jobs.ts';

/**
 * Deletes finished jobs whose retention expired, with their logs, artifact rows and
 * files, and every batch whose last job went with them. Rows go first, in one
 * transaction; files after the commit. A crash in between leaves only folders without
 * a job, which `sweepOrphans` removes: never a row whose file is gone early.
 */
export function pruneExpired(
  c: SqliteConnection,
  files: ArtifactFiles,
  limit: number,
): { jobs: number; batches: number } {
  const { ids, batches } = c.write((tx) => {
    const rows = c.all<{ id: string; batch_id: string | null }>(
      `SELECT id, batch_id FROM jobs WHERE expires_at_ms <= ? AND state IN (${sqlStateList('expire')}) LIMIT ?`,
      tx.nowMs,
      limit,
    );
    if (rows.length === 0) return { ids: [], batches: 0 };
    const ids = rows.map((r) => r.id);
    deleteJobRows(c, tx, ids);
    const batchIds = [...new Set(rows.map((r) => r.batch_id).filter((b) => b !== null))];
    const batches = batchIds.length
      ? c.run(
          `DELETE FROM batches WHERE id IN (SELECT value FROM json_each(?))
           AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.batch_id = batches.id)`,
          JSON.stringify(batchIds),
        )
      : 0;
    return { ids, batches };
  });
  for (const id of ids) files.removeJob(id);
  return { jobs: ids.length, batches };
}

/**
 * Deletes the dead entries of one chunk of the change log after `from` and returns
 * where the next chunk starts, or null at the end. A whole pass (chunk after chunk,
 * each its own short transaction) keeps the log as small as the rows it points at:
 * most entries die within seconds, when the job they point at changes again.
 */
export function pruneChangeLog(
  c: SqliteConnection,
  from: [seq: number, firstRid: number],
  limit: number,
): [number, number] | null {
  return c.write(() => {
    const chunk = c.all<{ seq: number; first_rid: number; dead: number }>(
      CHANGES_AFTER,
      from[0],
      from[1],
      limit,
    );
    const remove = c.stmt(DELETE_CHANGE);
    for (const e of chunk) if (e.dead) remove.run(e.seq, e.first_rid);
    const last = chunk[chunk.length - 1];
    return chunk.length < limit || !last ? null : [last.seq, last.first_rid];
  });
}

export function deleteJob(
  c: SqliteConnection,
  files: ArtifactFiles,
  id: string,
): 'deleted' | 'running' | 'missing' {
  const outcome = c.write((tx) => {
    const row = c.get<{ state: string }>('SELECT state FROM jobs WHERE id = ?', id);
    if (!row) return 'missing' as const;
    if (row.state === 'running') return 'running' as const;
    deleteJobRows(c, tx, [id]);
    return 'deleted' as const;
  });
  if (outcome === 'deleted') files.removeJob(id);
  return outcome;
}

export function sweepOrphans(c: SqliteConnection, files: ArtifactFiles): number {
  const orphans = files.orphans(
    (id) => c.get('SELECT 1 AS ok FROM jobs WHERE id = ?', id) !== undefined,
  );
  for (const id of orphans) files.removeJob(id);
  return orphans.length;
}
