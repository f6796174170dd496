import type pg from 'pg';
import { storableText } from '../../core/text.ts';
import {
  ARTIFACT_DUMP_COLUMNS,
  type ArtifactDump,
  type ArtifactRowDump,
  ATTEMPT_DUMP_COLUMNS,
  type AttemptDump,
  BATCH_DUMP_COLUMNS,
  type BatchDump,
  type DumpCounts,
  type DumpValue,
  JOB_DUMP_COLUMNS,
  type JobDump,
  LOG_DUMP_COLUMNS,
  type LogDump,
  type StoreDump,
  TEMPLATE_DUMP_COLUMNS,
  type TemplateDump,
} from '../dump.ts';
import type { PgConnection, PgTx } from './connection.ts';
import { DB_NOW_MS, TX_SEQ } from './sql.ts';

/** Each copied column's type, to turn the arrays `unnest` takes back into rows. */
const JOB_TYPES: Record<(typeof JOB_DUMP_COLUMNS)[number], string> = {
  rid: 'bigint',
  id: 'text',
  type: 'text',
  name: 'text',
  state: 'text',
  batch_id: 'text',
  idempotency_key: 'text',
  priority: 'int',
  run_at_ms: 'bigint',
  attempt: 'int',
  max_attempts: 'int',
  attempt_budget: 'int',
  retention_ms: 'bigint',
  lease_owner: 'text',
  lease_expires_at_ms: 'bigint',
  progress: 'float8',
  progress_message: 'text',
  heartbeat_at_ms: 'bigint',
  checkpoint: 'text',
  result: 'text',
  error: 'text',
  usage_tokens: 'bigint',
  usage_cost_usd: 'float8',
  created_at_ms: 'bigint',
  started_at_ms: 'bigint',
  finished_at_ms: 'bigint',
  expires_at_ms: 'bigint',
  batch_concurrency: 'int',
  flush_mark: 'bigint',
  params: 'text',
};
const BATCH_TYPES: Record<(typeof BATCH_DUMP_COLUMNS)[number], string> = {
  id: 'text',
  name: 'text',
  template: 'text',
  paused: 'int',
  cancelled: 'int',
  metadata: 'text',
  created_at_ms: 'bigint',
  webhook_url: 'text',
  webhook_notified_at_ms: 'bigint',
  concurrency: 'int',
};
const TEMPLATE_TYPES: Record<(typeof TEMPLATE_DUMP_COLUMNS)[number], string> = {
  name: 'text',
  type: 'text',
  description: 'text',
  params: 'text',
  grid: 'text',
  source: 'text',
  created_at_ms: 'bigint',
  updated_at_ms: 'bigint',
  webhook_url: 'text',
  schedule: 'text',
  last_tick_at_ms: 'bigint',
};
const LOG_TYPES: Record<(typeof LOG_DUMP_COLUMNS)[number], string> = {
  id: 'bigint',
  job_id: 'text',
  attempt: 'int',
  at_ms: 'bigint',
  level: 'text',
  message: 'text',
  fields: 'text',
};

const ATTEMPT_TYPES: Record<(typeof ATTEMPT_DUMP_COLUMNS)[number], string> = {
  job_id: 'text',
  attempt: 'int',
  state: 'text',
  started_at_ms: 'bigint',
  finished_at_ms: 'bigint',
  lease_owner: 'text',
  error: 'text',
};

const list = (columns: readonly string[]) => columns.join(', ');
const ignoreError = (): void => {};

/** `unnest($1::t1[], $2::t2[], …) AS t(c1, c2, …)` over `columns`, from parameter `first`. */
function unnest<C extends string>(
  columns: readonly C[],
  types: Record<C, string>,
  first = 1,
): string {
  const arrays = columns.map((c, i) => `$${first + i}::${types[c]}[]`).join(', ');
  return `unnest(${arrays}) AS t(${list(columns)})`;
}

/**
 * The rows as one array per column, in the order of `columns`. A NUL in text (which a
 * SQLite database written before Kiln refused or replaced it may hold) becomes U+FFFD:
 * PostgreSQL cannot hold it, and a copy that failed on it could not move the history.
 */
function columnsOf<C extends string>(
  columns: readonly C[],
  rows: Record<C, DumpValue>[],
): DumpValue[][] {
  return columns.map((c) =>
    rows.map((r) => {
      const v = r[c];
      return typeof v === 'string' ? storableText(v) : v;
    }),
  );
}

const JOB_ROW_COLUMNS = JOB_DUMP_COLUMNS.filter((c) => c !== 'params');
// Rowids and log ids are kept (OVERRIDING SYSTEM VALUE: both are identity columns), so
// each identity sequence is moved past the copied ones for the rows enqueued later.
const INSERT_JOBS = `INSERT INTO jobs (${list(JOB_ROW_COLUMNS)}, updated_seq) OVERRIDING SYSTEM VALUE
  SELECT t.*, ${TX_SEQ} FROM ${unnest(JOB_ROW_COLUMNS, JOB_TYPES)}`;
const INSERT_PARAMS = `INSERT INTO job_params (rid, params)
  SELECT * FROM ${unnest(['rid', 'params'] as const, JOB_TYPES)}`;
const INSERT_BATCHES = `INSERT INTO batches (${list(BATCH_DUMP_COLUMNS)}, updated_seq)
  SELECT t.*, ${TX_SEQ} FROM ${unnest(BATCH_DUMP_COLUMNS, BATCH_TYPES)}`;
const UPSERT_TEMPLATES = `INSERT INTO templates (${list(TEMPLATE_DUMP_COLUMNS)})
  SELECT * FROM ${unnest(TEMPLATE_DUMP_COLUMNS, TEMPLATE_TYPES)}
  ON CONFLICT (name) DO UPDATE SET ${TEMPLATE_DUMP_COLUMNS.filter((c) => c !== 'name')
    .map((c) => `${c} = excluded.${c}`)
    .join(', ')}`;
const INSERT_LOGS = `INSERT INTO job_logs (${list(LOG_DUMP_COLUMNS)}) OVERRIDING SYSTEM VALUE
  SELECT * FROM ${unnest(LOG_DUMP_COLUMNS, LOG_TYPES)}`;
const ARTIFACT_TYPES: Record<(typeof ARTIFACT_DUMP_COLUMNS)[number] | 'data', string> = {
  job_id: 'text',
  name: 'text',
  size_bytes: 'bigint',
  content_type: 'text',
  created_at_ms: 'bigint',
  data: 'bytea',
};
const INSERT_ARTIFACTS = `INSERT INTO artifacts (${list(ARTIFACT_DUMP_COLUMNS)}, data)
  SELECT * FROM ${unnest([...ARTIFACT_DUMP_COLUMNS, 'data'] as const, ARTIFACT_TYPES)}`;
const advanceIdentity = (table: string, column: string) =>
  `SELECT setval(pg_get_serial_sequence('${table}', '${column}'), max(${column})) FROM ${table}`;

/** Job and batch rows stamped by a transaction the snapshot does not see (end()). */
const CHANGED_SINCE = ['jobs', 'batches']
  .map(
    (table) => `EXISTS (SELECT 1 FROM ${table} WHERE updated_seq >= $2
      AND NOT pg_visible_in_snapshot(updated_seq::text::xid8, $1::pg_snapshot))`,
  )
  .join(' OR ');

/**
 * Whole-store reads and writes of the PostgreSQL store, for `kiln copy` (store/dump.ts).
 * Reads run on one connection in one REPEATABLE READ, read-only transaction (one
 * snapshot from `begin()` to `end()`); every write is one transaction.
 */
export class PgDump implements StoreDump {
  private readonly c: PgConnection;
  private client: pg.PoolClient | undefined;
  /** The snapshot's text form and its xmin (every transaction below it had ended). */
  private snapshot: { text: string; xmin: number } | undefined;

  constructor(c: PgConnection) {
    this.c = c;
  }

  // ---- reading ----------------------------------------------------------------------
  async begin(): Promise<void> {
    await this.c.open();
    this.client = await this.c.pool.connect();
    // A backend that goes away mid-copy must fail the next read, not end the process
    // with an unhandled 'error' event of a checked-out client (connection.ts, checkout).
    this.client.on('error', ignoreError);
    await this.client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const [row] = (
      await this.client.query<{ text: string; xmin: number }>(
        `SELECT pg_current_snapshot()::text AS text,
           pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin`,
      )
    ).rows;
    this.snapshot = row!;
  }

  async end(): Promise<{ changedSince: boolean }> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.query('COMMIT');
        client.off('error', ignoreError);
        client.release();
      } catch {
        client.release(true);
      }
    }
    if (!this.snapshot) return { changedSince: false };
    const [row] = await this.c.query<{ changed: boolean }>(`SELECT ${CHANGED_SINCE} AS changed`, [
      this.snapshot.text,
      this.snapshot.xmin,
    ]);
    return { changedSince: row!.changed };
  }

  private async read<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<R[]> {
    if (!this.client) throw new Error('PgDump: begin() first');
    return (await this.client.query<R>(text, values)).rows;
  }

  async counts(): Promise<DumpCounts> {
    const [row] = await this.read<DumpCounts>(
      `SELECT (SELECT count(*) FROM jobs) AS jobs, (SELECT count(*) FROM batches) AS batches,
        (SELECT count(*) FROM templates) AS templates, (SELECT count(*) FROM job_logs) AS logs,
        (SELECT count(*) FROM job_attempts)::int AS attempts, (SELECT count(*) FROM artifacts) AS artifacts,
        (SELECT coalesce(sum(size_bytes), 0)::bigint FROM artifacts) AS "artifactBytes"`,
      [],
    );
    return row!;
  }

  async liveLeases(): Promise<number> {
    const [row] = await this.read<{ n: number }>(
      `SELECT count(*) AS n FROM jobs WHERE state = 'running' AND lease_expires_at_ms >= ${DB_NOW_MS}`,
      [],
    );
    return row!.n;
  }

  async templates(afterName: string | null, limit: number): Promise<TemplateDump[]> {
    return this.read<TemplateDump>(
      `SELECT ${list(TEMPLATE_DUMP_COLUMNS)} FROM templates WHERE name > $1 ORDER BY name LIMIT $2`,
      [afterName ?? '', limit],
    );
  }

  async batches(afterId: string | null, limit: number): Promise<BatchDump[]> {
    return this.read<BatchDump>(
      `SELECT ${list(BATCH_DUMP_COLUMNS)} FROM batches WHERE id > $1 ORDER BY id LIMIT $2`,
      [afterId ?? '', limit],
    );
  }

  async jobs(afterRid: number, limit: number): Promise<JobDump[]> {
    const columns = JOB_DUMP_COLUMNS.map((c) => (c === 'params' ? 'p.params' : `j.${c}`));
    return this.read<JobDump>(
      `SELECT ${list(columns)} FROM jobs j JOIN job_params p ON p.rid = j.rid
       WHERE j.rid > $1 ORDER BY j.rid LIMIT $2`,
      [afterRid, limit],
    );
  }

  async logs(afterId: number, limit: number): Promise<LogDump[]> {
    return this.read<LogDump>(
      `SELECT ${list(LOG_DUMP_COLUMNS)} FROM job_logs WHERE id > $1 ORDER BY id LIMIT $2`,
      [afterId, limit],
    );
  }

  async attempts(after: [string, number], limit: number): Promise<AttemptDump[]> {
    return this.read<AttemptDump>(
      `SELECT ${list(ATTEMPT_DUMP_COLUMNS)} FROM job_attempts WHERE (job_id, attempt) > ($1, $2)
       ORDER BY job_id, attempt LIMIT $3`,
      [after[0], after[1], limit],
    );
  }

  async artifacts(after: [string, string] | null, limit: number): Promise<ArtifactRowDump[]> {
    return this.read<ArtifactRowDump>(
      `SELECT ${list(ARTIFACT_DUMP_COLUMNS)} FROM artifacts WHERE (job_id, name) > ($1, $2)
       ORDER BY job_id, name LIMIT $3`,
      [after?.[0] ?? '', after?.[1] ?? '', limit],
    );
  }

  async artifactData(rows: ArtifactRowDump[]): Promise<Buffer[]> {
    const found = await this.read<{ data: Buffer }>(
      `SELECT a.data FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(job_id, name, n)
       JOIN artifacts a ON a.job_id = t.job_id AND a.name = t.name ORDER BY t.n`,
      [rows.map((r) => r.job_id), rows.map((r) => r.name)],
    );
    if (found.length !== rows.length) throw new Error('an artifact is not in the snapshot');
    return found.map((r) => r.data);
  }

  // ---- writing ----------------------------------------------------------------------
  async occupancy(): Promise<{ jobs: number; batches: number }> {
    const [row] = await this.c.query<{ jobs: number; batches: number }>(
      'SELECT (SELECT count(*) FROM jobs) AS jobs, (SELECT count(*) FROM batches) AS batches',
    );
    return row!;
  }

  async writeTemplates(rows: TemplateDump[]): Promise<void> {
    await this.c.write((tx) => run(tx, UPSERT_TEMPLATES, columnsOf(TEMPLATE_DUMP_COLUMNS, rows)));
  }

  async writeBatches(rows: BatchDump[]): Promise<void> {
    await this.c.write(async (tx) => {
      await run(tx, INSERT_BATCHES, columnsOf(BATCH_DUMP_COLUMNS, rows));
      tx.changed();
    });
  }

  async writeJobs(rows: JobDump[]): Promise<void> {
    await this.c.write(async (tx) => {
      await run(tx, INSERT_JOBS, columnsOf(JOB_ROW_COLUMNS, rows));
      await run(tx, INSERT_PARAMS, columnsOf(['rid', 'params'] as const, rows));
      await run(tx, advanceIdentity('jobs', 'rid'), []);
      tx.changed();
    });
  }

  async writeLogs(rows: LogDump[]): Promise<void> {
    await this.c.write(async (tx) => {
      await run(tx, INSERT_LOGS, columnsOf(LOG_DUMP_COLUMNS, rows));
      await run(tx, advanceIdentity('job_logs', 'id'), []);
    });
  }

  async writeAttempts(rows: AttemptDump[]): Promise<void> {
    await this.c.write((tx) =>
      run(
        tx,
        `INSERT INTO job_attempts (${list(ATTEMPT_DUMP_COLUMNS)})
         SELECT * FROM ${unnest(ATTEMPT_DUMP_COLUMNS, ATTEMPT_TYPES)}`,
        columnsOf(ATTEMPT_DUMP_COLUMNS, rows),
      ),
    );
  }

  async writeArtifacts(items: ArtifactDump[]): Promise<void> {
    // One statement: the bytes go as one bytea[] beside the other columns' arrays.
    const values: unknown[] = columnsOf(
      ARTIFACT_DUMP_COLUMNS,
      items.map((a) => a.row),
    );
    values.push(items.map((a) => a.data));
    await this.c.write((tx) => run(tx, INSERT_ARTIFACTS, values));
  }
}

async function run(tx: PgTx, text: string, values: unknown[]): Promise<void> {
  await tx.client.query(text, values);
}
