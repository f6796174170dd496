/**
 * Where a workload runs: a fresh SQLite file in a new folder under os.tmpdir(), or a fresh
 * schema in the PostgreSQL database at KILN_BENCH_PG_URL (default: the local server's
 * `test` database). Either is removed afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export type BenchStore = 'sqlite' | 'postgres';

export const BENCH_PG_URL = process.env.KILN_BENCH_PG_URL ?? 'postgres://root@127.0.0.1:5432/test';

let schemas = 0;

/** A store URL of `kind` for `fn`, removed when it returns. */
export async function withBenchStore<T>(
  kind: BenchStore,
  label: string,
  fn: (store: string) => Promise<T>,
): Promise<T> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), `kiln-bench-${label}-`));
    try {
      return await fn(`sqlite:${join(dir, 'kiln.db')}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const schema = `kiln_bench_${label}_${process.pid}_${++schemas}`;
  try {
    return await fn(`${BENCH_PG_URL}${BENCH_PG_URL.includes('?') ? '&' : '?'}schema=${schema}`);
  } finally {
    const client = new pg.Client({ connectionString: BENCH_PG_URL });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await client.end();
    }
  }
}

/** PostgreSQL's version and the settings behind its figures, for the record. */
export async function postgresInfo(): Promise<Record<string, string> | { error: string }> {
  const client = new pg.Client({ connectionString: BENCH_PG_URL });
  try {
    await client.connect();
    const r = await client.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings WHERE name IN ('server_version', 'fsync',
         'synchronous_commit', 'shared_buffers', 'max_connections', 'wal_level')`,
    );
    return Object.fromEntries(r.rows.map((x) => [x.name, x.setting]));
  } catch (error) {
    return { error: String((error as Error).message ?? error) };
  } finally {
    await client.end().catch(() => {});
  }
}
