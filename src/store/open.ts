import { resolve } from 'node:path';
import { KilnError } from '../core/errors.ts';
import type { Durability } from './sqlite/connection.ts';
import { SqliteStore } from './sqlite/sqlite-store.ts';
import type { Store } from './store.ts';

export type { Durability };

/** Where a store lives when none is named: a data folder in the working directory. */
export const DEFAULT_STORE_URL = 'sqlite:.kiln/kiln.db';

/**
 * Opens the store a URL names: `sqlite:<path>` (relative to the working directory).
 * PostgreSQL (`postgres://…`) arrives with its own store.
 */
export function openStore(
  url: string = DEFAULT_STORE_URL,
  options: { durability?: Durability } = {},
): Store {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '' || path === ':memory:') {
      throw new KilnError(
        'INVALID_STORE_URL',
        `store URL \`${url}\` needs a file path (sqlite:path/to/kiln.db): workers and watchers in other processes share the file`,
      );
    }
    return new SqliteStore({ path: resolve(path), ...options });
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    throw new KilnError(
      'INVALID_STORE_URL',
      'the PostgreSQL store is not built yet; use sqlite:<path> for now',
    );
  }
  throw new KilnError(
    'INVALID_STORE_URL',
    `store URL \`${url}\` is not one Kiln can open; use sqlite:<path>`,
  );
}
