/**
 * Raw PostgreSQL connections into a test's schema, for tests that stand in for another
 * process's transaction or read what the store wrote. Registers an afterEach that ends
 * every connection the test opened.
 */
import pg from 'pg';
import { afterEach } from 'vitest';
import { TEST_PG_URL } from './stores.ts';

export function useSchemaClients(): (schema: string, settings?: string) => Promise<pg.Client> {
  const clients: pg.Client[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.end().catch(() => {});
  });
  return async (schema, settings = '') => {
    const client = new pg.Client({
      connectionString: TEST_PG_URL,
      options: `-c search_path=${schema} ${settings}`.trim(),
    });
    await client.connect();
    clients.push(client);
    return client;
  };
}
