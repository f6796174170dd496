/** `kiln migrate`: applies a store's pending schema migrations and says where it stands. */
import { DEFAULT_STORE_URL, KilnError, openStore, redactStoreUrl } from '../index.ts';
import { parse } from './usage.ts';

export const MIGRATE_HELP = `Usage: kiln migrate [options]

Opens a store, applies the schema migrations it lacks (creating the store if there is
none yet) and prints the schema version it is at. Every Kiln process migrates the
store it opens; this command does it ahead of time, e.g. before a deploy.

Options:
  -s, --store <url>    Store URL (env KILN_STORE; default ${DEFAULT_STORE_URL})
  -h, --help           Show this help
`;

const OPTIONS = {
  store: { type: 'string', short: 's' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function migrate(args: string[]): Promise<void> {
  const { values } = parse('migrate', args, OPTIONS);
  if (values.help) {
    process.stdout.write(MIGRATE_HELP);
    return;
  }
  const url = values.store ?? process.env.KILN_STORE ?? DEFAULT_STORE_URL;
  const store = openStore(url);
  try {
    const v = await store.schemaVersion();
    if (v.version > v.latest) {
      throw new KilnError(
        'SCHEMA_TOO_NEW',
        `${redactStoreUrl(url)} is at schema version ${v.version}, newer than this Kiln knows (${v.latest}): upgrade Kiln`,
      );
    }
    const what = v.applied.length > 0 ? `applied ${v.applied.join(', ')}` : 'up to date';
    process.stdout.write(`${redactStoreUrl(url)}: schema version ${v.version} (${what})\n`);
  } finally {
    await store.close();
  }
}
