/**
 * A digest of everything a store holds, table by table, read from one snapshot through
 * the store's own dump reader (the one `kiln copy` uses, so every column of every table
 * is in it). Two digests differ exactly when a row was added, removed or changed: a
 * refused request must leave every table's digest as it was.
 */
import { createHash, type Hash } from 'node:crypto';
import type { DumpReader } from '../../src/store/dump.ts';
import type { Store } from '../../src/store/store.ts';

export type TableName = 'templates' | 'batches' | 'jobs' | 'logs' | 'attempts' | 'artifacts';
export type Digest = Record<TableName, string>;

const PAGE = 500;

/**
 * Columns the server's background loops write in their own time, after the request
 * that caused it was answered, so a later, refused request may see them change:
 * the webhook dispatcher stamps a batch when it has recorded its end, and the
 * scheduler stamps a scheduled template when it takes (or anchors) a tick. They say
 * when a loop got to a row, not what the row is, so they stay out of the digest.
 */
const ASYNC_COLUMNS: Partial<Record<TableName, string[]>> = {
  batches: ['webhook_notified_at_ms'],
  templates: ['last_tick_at_ms'],
};

function add(hash: Hash, table: TableName, row: Record<string, unknown>): void {
  const skip = ASYNC_COLUMNS[table];
  const kept = skip
    ? Object.fromEntries(Object.entries(row).filter(([k]) => !skip.includes(k)))
    : row;
  // Numbers as text: PostgreSQL's bigint columns may come back as strings.
  hash.update(JSON.stringify(kept, (_k, v) => (typeof v === 'number' ? String(v) : v)));
  hash.update('\n');
}

async function pages<R, K>(
  hash: Hash,
  table: TableName,
  start: K,
  read: (after: K) => Promise<R[]>,
  key: (row: R) => K,
  extra?: (rows: R[]) => Promise<void>,
): Promise<string> {
  for (let after = start; ; ) {
    const rows = await read(after);
    if (rows.length === 0) return hash.digest('hex');
    for (const row of rows) add(hash, table, row as Record<string, unknown>);
    await extra?.(rows);
    after = key(rows[rows.length - 1]!);
  }
}

async function read(r: DumpReader): Promise<Digest> {
  const h = () => createHash('sha256');
  const templates = await pages(
    h(),
    'templates',
    null as string | null,
    (a) => r.templates(a, PAGE),
    (x) => x.name as string,
  );
  const batches = await pages(
    h(),
    'batches',
    null as string | null,
    (a) => r.batches(a, PAGE),
    (x) => x.id as string,
  );
  const jobs = await pages(
    h(),
    'jobs',
    0,
    (a) => r.jobs(a, PAGE),
    (x) => Number(x.rid),
  );
  const logs = await pages(
    h(),
    'logs',
    0,
    (a) => r.logs(a, PAGE),
    (x) => Number(x.id),
  );
  const attempts = await pages(
    h(),
    'attempts',
    ['', 0] as [string, number],
    (a) => r.attempts(a, PAGE),
    (x): [string, number] => [x.job_id as string, Number(x.attempt)],
  );
  const artifactHash = h();
  const artifacts = await pages(
    artifactHash,
    'artifacts',
    null as [string, string] | null,
    (a) => r.artifacts(a, PAGE),
    (x): [string, string] => [x.job_id as string, x.name as string],
    async (rows) => {
      for (const data of await r.artifactData(rows)) artifactHash.update(data);
    },
  );
  return { templates, batches, jobs, logs, attempts, artifacts };
}

/** The digest of `store` now, from one snapshot. */
export async function digestStore(store: Store): Promise<Digest> {
  const reader = store.dump();
  await reader.begin();
  try {
    return await read(reader);
  } finally {
    await reader.end();
  }
}

/** The tables whose digests differ. */
export function changedTables(before: Digest, after: Digest): TableName[] {
  return (Object.keys(before) as TableName[]).filter((t) => before[t] !== after[t]);
}
