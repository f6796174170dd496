/**
 * Where artifact bytes live, read beside the Kiln API: on SQLite, files in
 * `<dir>/artifacts/<jobId>/`; on PostgreSQL, rows of the `artifacts` table (the bytes
 * are in the row). Tests that check files are written and removed with their jobs read
 * them here, on either store.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TestStore } from '../../support/stores.ts';

/** The names of a job's stored artifacts, sorted. */
export async function storedArtifacts(store: TestStore, jobId: string): Promise<string[]> {
  if (store.kind === 'sqlite') {
    const folder = join(store.dir, 'artifacts', jobId);
    return existsSync(folder) ? readdirSync(folder).sort() : [];
  }
  const rows = await store.query<{ name: string }>(
    'SELECT name FROM artifacts WHERE job_id = ?',
    jobId,
  );
  return rows.map((r) => r.name).sort();
}

/** The jobs that have anything stored as artifacts (SQLite: folders, even empty ones). */
export async function jobsWithStoredArtifacts(store: TestStore): Promise<string[]> {
  if (store.kind === 'sqlite') {
    const folder = join(store.dir, 'artifacts');
    return existsSync(folder) ? readdirSync(folder).sort() : [];
  }
  const rows = await store.query<{ id: string }>('SELECT DISTINCT job_id AS id FROM artifacts');
  return rows.map((r) => r.id).sort();
}
