/**
 * The store a test runs on. The same test files run once per store: the `sqlite`
 * project on a fresh SQLite file per test, the `postgres` project (KILN_TEST_STORE=
 * postgres, vitest.config.ts) in a fresh schema per test of the database at
 * KILN_TEST_PG_URL. A PostgreSQL schema is dropped after a test that passed and kept
 * after one that failed, for a look at what it left (a later run drops it once its test
 * process is gone: postgres-setup.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';

export type StoreKind = 'sqlite' | 'postgres';

export const STORE_KIND: StoreKind =
  process.env.KILN_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';

export const TEST_PG_URL = process.env.KILN_TEST_PG_URL ?? 'postgres://root@127.0.0.1:5432/test';

export interface TestStore {
  kind: StoreKind;
  /** The store URL, for Kiln.open and for worker processes. */
  url: string;
  /** A temporary folder of the test's own (the SQLite file and its artifacts live in it). */
  dir: string;
  /** SQLite: the database file. PostgreSQL: the schema. */
  path: string;
  /**
   * Reads the store's own tables with SQL both stores understand, `?` for parameters:
   * tests that sample what workers in other processes are doing.
   */
  query<T = Record<string, unknown>>(sql: string, ...params: unknown[]): Promise<T[]>;
  /** Removes what the test made; a PostgreSQL schema stays when `keep` is true. */
  cleanup(keep?: boolean): Promise<void>;
}

let schemas = 0;

/** A fresh store of the kind this test run is for. */
export function newTestStore(kind: StoreKind = STORE_KIND): TestStore {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-test-'));
  if (kind === 'sqlite') {
    const path = join(dir, 'kiln.db');
    let db: DatabaseSync | undefined;
    return {
      kind,
      url: `sqlite:${path}`,
      dir,
      path,
      async query<T>(sql: string, ...params: unknown[]): Promise<T[]> {
        db ??= new DatabaseSync(path, { readOnly: true, timeout: 5_000 });
        return db.prepare(sql).all(...(params as never[])) as T[];
      },
      async cleanup() {
        db?.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = `kiln_t${process.pid}_${++schemas}_${Math.random().toString(36).slice(2, 8)}`;
  let pool: pg.Pool | undefined;
  const connect = () => {
    pool ??= new pg.Pool({
      connectionString: TEST_PG_URL,
      max: 2,
      options: `-c search_path=${schema}`,
    });
    return pool;
  };
  return {
    kind,
    url: `${TEST_PG_URL}${TEST_PG_URL.includes('?') ? '&' : '?'}schema=${schema}`,
    dir,
    path: schema,
    async query<T>(sql: string, ...params: unknown[]): Promise<T[]> {
      let n = 0;
      const text = sql.replace(/\?/g, () => `$${++n}`);
      const rows = (await connect().query(text, params)).rows as Record<string, unknown>[];
      // count(*) and bigint columns come back as strings: numbers, as from SQLite.
      return rows.map((r) =>
        Object.fromEntries(
          Object.entries(r).map(([k, v]) => [
            k,
            typeof v === 'string' && /^-?\d+$/.test(v) && k !== 'id' ? Number(v) : v,
          ]),
        ),
      ) as T[];
    },
    async cleanup(keep = false) {
      rmSync(dir, { recursive: true, force: true });
      if (!keep) await connect().query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool?.end();
    },
  };
}

/** Whether PostgreSQL answers at TEST_PG_URL. */
export async function postgresReachable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return String((error as Error).message ?? error);
  } finally {
    await client.end().catch(() => {});
  }
}
