/**
 * Migrations of the PostgreSQL store are safe when several processes open a new schema
 * at once (postgres/migrations.ts: an advisory lock named after the schema): each
 * migration is applied exactly once, and every opener ends up on the same version.
 */
import { afterEach, expect, test } from 'vitest';
import { type Finished, runNode } from '../support/helpers.ts';
import { newTestStore, type TestStore } from '../support/stores.ts';

const stores: TestStore[] = [];
afterEach(async (context) => {
  const failed = context.task.result?.state === 'fail';
  for (const s of stores.splice(0)) await s.cleanup(failed);
});

/** A process that opens the store, reads its version, and prints what it applied. */
function opener(url: string): Promise<Finished> {
  const script = `
    import { openStore } from ${JSON.stringify(new URL('../../src/store/open.ts', import.meta.url).href)};
    const store = openStore(process.argv[1]);
    const version = await store.schemaVersion();
    console.log(JSON.stringify(version));
    await store.close();`;
  return runNode(['--input-type=module', '-e', script, url]).done;
}

test('four processes opening a schema at once apply each migration exactly once', async () => {
  const store = newTestStore('postgres');
  stores.push(store);
  // A schema that exists with no migration applied yet, as when a new Kiln version brings
  // a migration: nothing in the catalog makes the openers wait on each other, only
  // Kiln's lock (without it, two apply the migration and one fails on a table the
  // other created).
  await store.query(`CREATE SCHEMA "${store.path}"`);
  await store.query(
    `CREATE TABLE "${store.path}".kiln_migrations (version integer PRIMARY KEY, name text NOT NULL,
       applied_at timestamptz NOT NULL DEFAULT now())`,
  );
  const results = await Promise.all(Array.from({ length: 4 }, () => opener(store.url)));
  for (const r of results) expect(r.code).toBe(0);
  const versions = results.map(
    (r) => JSON.parse(r.stdout) as { applied: number[]; version: number },
  );
  // Between them they applied every migration once; each ends on the newest version.
  const applied = versions.flatMap((v) => v.applied).sort((a, b) => a - b);
  const rows = await store.query<{ version: number }>(
    'SELECT version FROM kiln_migrations ORDER BY version',
  );
  expect(applied).toEqual(rows.map((r) => r.version));
  expect(new Set(versions.map((v) => v.version)).size).toBe(1);
});
