/**
 * Global setup of the `postgres` test project: PostgreSQL must answer. Under CI=true a
 * database that does not answer fails the run (nothing may be skipped there); elsewhere
 * every test of the project is skipped, saying why. Schemas kept by failed tests of an
 * earlier run (whose process has ended) are dropped first.
 */
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { postgresReachable, TEST_PG_URL } from './stores.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresProblem: string | null;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const problem = await postgresReachable();
  if (problem !== null) {
    if (process.env.CI === 'true') {
      throw new Error(
        `PostgreSQL does not answer at ${TEST_PG_URL} (${problem}); under CI=true its tests must run`,
      );
    }
    console.warn(
      `PostgreSQL does not answer at ${TEST_PG_URL} (${problem}): skipping the postgres project's tests`,
    );
  } else {
    const client = new pg.Client({ connectionString: TEST_PG_URL });
    await client.connect();
    try {
      const stale = await client.query<{ name: string }>(
        `SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE 'kiln\\_t%'`,
      );
      // Only schemas whose test process is gone: another run on this machine may be
      // using its own right now (stores.ts names each schema after its process). One
      // still in use after all (a lock wait, a deadlock) is left to a later run.
      await client.query(`SET lock_timeout = '2s'`);
      for (const { name } of stale.rows) {
        const pid = Number(/^kiln_t(\d+)_/.exec(name)?.[1]);
        if (processAlive(pid)) continue;
        await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`).catch(() => {});
      }
    } finally {
      await client.end();
    }
  }
  project.provide('postgresProblem', problem);
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
