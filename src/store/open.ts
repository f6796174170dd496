import { resolve } from 'node:path';
import { KilnError } from '../core/errors.ts';
import { DEFAULT_PG_SCHEMA, PostgresStore } from './postgres/postgres-store.ts';
import type { Durability } from './sqlite/connection.ts';
import { SqliteStore } from './sqlite/sqlite-store.ts';
import type { Store } from './store.ts';

export type { Durability };

/** Where a store lives when none is named: a data folder in the working directory. */
export const DEFAULT_STORE_URL = 'sqlite:.kiln/kiln.db';

/**
 * Opens the store a URL names: `sqlite:<path>` (relative to the working directory), or
 * `postgres://user@host:port/database?schema=name&pool=5` (Kiln's tables in that schema,
 * default `kiln`; at most `pool` connections per process, default 5; every other
 * parameter goes to the driver).
 */
export function openStore(
  url: string = DEFAULT_STORE_URL,
  options: { durability?: Durability } = {},
): Store {
  const path = sqliteFile(url);
  if (path !== null) return new SqliteStore({ path, ...options });
  if (/^postgres(ql)?:\/\//.test(url)) return new PostgresStore(parsePostgresUrl(url));
  throw new KilnError(
    'INVALID_STORE_URL',
    `store URL \`${redactStoreUrl(url)}\` is not one Kiln can open; use sqlite:<path> or postgres://…`,
  );
}

/** The absolute path of the file a `sqlite:` URL names; null for any other URL. */
export function sqliteFile(url: string): string | null {
  if (!url.startsWith('sqlite:')) return null;
  const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
  if (path === '' || path === ':memory:') {
    throw new KilnError(
      'INVALID_STORE_URL',
      `store URL \`${url}\` needs a file path (sqlite:path/to/kiln.db): workers and watchers in other processes share the file`,
    );
  }
  return resolve(path);
}

/** Query parameters of a PostgreSQL URL that carry a secret (libpq's names). */
const SECRET_PARAMS = ['password', 'sslpassword'];

/**
 * A store URL fit to print: a password in its user-info or in a `password=` or
 * `sslpassword=` parameter is masked, also in a URL that does not parse (an error
 * message echoes what was given). A `sqlite:` path is printed as it is.
 */
export function redactStoreUrl(url: string): string {
  if (url.startsWith('sqlite:')) return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url
      .replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*):[^/?#]*@/i, '$1:***@')
      .replace(/([?&](?:ssl)?password=)[^&#]*/gi, '$1***');
  }
  let masked = false;
  if (parsed.password !== '') {
    parsed.password = '***';
    masked = true;
  }
  for (const name of SECRET_PARAMS) {
    if (parsed.searchParams.has(name)) {
      parsed.searchParams.set(name, '***');
      masked = true;
    }
  }
  return masked ? parsed.toString() : url;
}

/** A schema name Kiln accepts: it also names the NOTIFY channel (63 bytes at most). */
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,40}$/;

/** Splits Kiln's own `schema` and `pool` parameters off a PostgreSQL URL. */
export function parsePostgresUrl(url: string): { url: string; schema: string; poolSize?: number } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new KilnError(
      'INVALID_STORE_URL',
      `store URL \`${redactStoreUrl(url)}\` is not a valid URL`,
    );
  }
  const schema = parsed.searchParams.get('schema') ?? DEFAULT_PG_SCHEMA;
  if (!SCHEMA_NAME.test(schema)) {
    throw new KilnError(
      'INVALID_STORE_URL',
      `schema \`${schema}\` must be letters, digits and underscores (at most 41), starting with a letter or underscore`,
    );
  }
  parsed.searchParams.delete('schema');
  const pool = parsed.searchParams.get('pool');
  parsed.searchParams.delete('pool');
  if (pool === null) return { url: parsed.toString(), schema };
  const poolSize = Number(pool);
  if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 100) {
    throw new KilnError(
      'INVALID_STORE_URL',
      `pool \`${pool}\` must be a whole number of connections from 1 to 100`,
    );
  }
  return { url: parsed.toString(), schema, poolSize };
}
