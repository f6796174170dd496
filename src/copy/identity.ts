import { parsePostgresUrl, sqliteFile } from '../store/open.ts';

/**
 * What a store URL points at, so that two spellings of one store compare equal (a
 * relative and an absolute path; a URL with and without a password or default port).
 * Best effort: two host names of one server still look like two stores.
 */
export function storeIdentity(url: string): string {
  const file = sqliteFile(url);
  if (file !== null) return `sqlite:${file}`;
  if (!/^postgres(ql)?:\/\//.test(url)) return url;
  const { url: connection, schema } = parsePostgresUrl(url);
  const u = new URL(connection);
  return `postgres://${u.hostname}:${u.port || '5432'}${u.pathname}?schema=${schema}`;
}
