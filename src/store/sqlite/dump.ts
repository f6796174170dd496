import {
  ARTIFACT_DUMP_COLUMNS,
  type ArtifactDump,
  type ArtifactRowDump,
  ATTEMPT_DUMP_COLUMNS,
  type AttemptDump,
  BATCH_DUMP_COLUMNS,
  type BatchDump,
  type DumpCounts,
  JOB_DUMP_COLUMNS,
  type JobDump,
  LOG_DUMP_COLUMNS,
  type LogDump,
  type StoreDump,
  TEMPLATE_DUMP_COLUMNS,
  type TemplateDump,
  valuesOf,
} from '../dump.ts';
import type { ArtifactFiles } from './artifact-files.ts';
import type { SqliteConnection } from './connection.ts';

const list = (columns: readonly string[]) => columns.join(', ');
const marks = (n: number) => Array(n).fill('?').join(', ');

/** The job columns but params (they go to job_params), then the feed position. */
const JOB_ROW_COLUMNS = JOB_DUMP_COLUMNS.filter((c) => c !== 'params');
const SELECT_JOBS = `SELECT ${JOB_DUMP_COLUMNS.map((c) => (c === 'params' ? 'p.params' : `j.${c}`)).join(', ')}
  FROM jobs j JOIN job_params p ON p.rid = j.rid WHERE j.rid > ? ORDER BY j.rid LIMIT ?`;
const INSERT_JOB = `INSERT INTO jobs (${list(JOB_ROW_COLUMNS)}, updated_seq) VALUES (${marks(JOB_ROW_COLUMNS.length + 1)})`;
const INSERT_BATCH = `INSERT INTO batches (${list(BATCH_DUMP_COLUMNS)}, updated_seq) VALUES (${marks(BATCH_DUMP_COLUMNS.length + 1)})`;
const UPSERT_TEMPLATE = `INSERT INTO templates (${list(TEMPLATE_DUMP_COLUMNS)}) VALUES (${marks(TEMPLATE_DUMP_COLUMNS.length)})
  ON CONFLICT (name) DO UPDATE SET ${TEMPLATE_DUMP_COLUMNS.filter((c) => c !== 'name')
    .map((c) => `${c} = excluded.${c}`)
    .join(', ')}`;
const INSERT_LOG = `INSERT INTO job_logs (${list(LOG_DUMP_COLUMNS)}) VALUES (${marks(LOG_DUMP_COLUMNS.length)})`;
const INSERT_ATTEMPT = `INSERT INTO job_attempts (${list(ATTEMPT_DUMP_COLUMNS)}) VALUES (${marks(ATTEMPT_DUMP_COLUMNS.length)})`;
const INSERT_ARTIFACT = `INSERT INTO artifacts (${list(ARTIFACT_DUMP_COLUMNS)}) VALUES (${marks(ARTIFACT_DUMP_COLUMNS.length)})`;

/**
 * Whole-store reads and writes of the SQLite store, for `kiln copy` (store/dump.ts).
 * Reads run in one read transaction (a snapshot of the file, kept from `begin()` to
 * `end()`; WAL writers carry on meanwhile); every write is one IMMEDIATE transaction.
 */
export class SqliteDump implements StoreDump {
  private readonly c: SqliteConnection;
  private readonly files: ArtifactFiles;
  private mark = 0;

  constructor(c: SqliteConnection, files: ArtifactFiles) {
    this.c = c;
    this.files = files;
  }

  // ---- reading ----------------------------------------------------------------------
  async begin(): Promise<void> {
    // A deferred BEGIN takes its snapshot at the first read: the mark is that read. This
    // connection belongs to the copy alone, so nothing else starts a transaction on it.
    this.c.db.exec('BEGIN');
    this.mark = this.seq();
  }

  async end(): Promise<{ changedSince: boolean }> {
    if (this.c.db.isTransaction) this.c.db.exec('COMMIT');
    // Every commit that changed a job or batch took a new seq (connection.ts, Tx.seq).
    return { changedSince: this.seq() !== this.mark };
  }

  private seq(): number {
    return this.c.get<{ value: number }>('SELECT value FROM kiln_seq WHERE id = 1')!.value;
  }

  async counts(): Promise<DumpCounts> {
    return this.c.get<DumpCounts>(
      `SELECT (SELECT count(*) FROM jobs) AS jobs, (SELECT count(*) FROM batches) AS batches,
        (SELECT count(*) FROM templates) AS templates, (SELECT count(*) FROM job_logs) AS logs,
        (SELECT count(*) FROM job_attempts) AS attempts, (SELECT count(*) FROM artifacts) AS artifacts,
        (SELECT coalesce(sum(size_bytes), 0) FROM artifacts) AS artifactBytes`,
    )!;
  }

  async liveLeases(): Promise<number> {
    return this.c.get<{ n: number }>(
      `SELECT count(*) AS n FROM jobs WHERE state = 'running' AND lease_expires_at_ms >= ?`,
      Date.now(),
    )!.n;
  }

  async templates(afterName: string | null, limit: number): Promise<TemplateDump[]> {
    return this.c.all<TemplateDump>(
      `SELECT ${list(TEMPLATE_DUMP_COLUMNS)} FROM templates WHERE name > ? ORDER BY name LIMIT ?`,
      afterName ?? '',
      limit,
    );
  }

  async batches(afterId: string | null, limit: number): Promise<BatchDump[]> {
    return this.c.all<BatchDump>(
      `SELECT ${list(BATCH_DUMP_COLUMNS)} FROM batches WHERE id > ? ORDER BY id LIMIT ?`,
      afterId ?? '',
      limit,
    );
  }

  async jobs(afterRid: number, limit: number): Promise<JobDump[]> {
    return this.c.all<JobDump>(SELECT_JOBS, afterRid, limit);
  }

  async logs(afterId: number, limit: number): Promise<LogDump[]> {
    return this.c.all<LogDump>(
      `SELECT ${list(LOG_DUMP_COLUMNS)} FROM job_logs WHERE id > ? ORDER BY id LIMIT ?`,
      afterId,
      limit,
    );
  }

  async attempts(after: [string, number], limit: number): Promise<AttemptDump[]> {
    return this.c.all<AttemptDump>(
      `SELECT ${list(ATTEMPT_DUMP_COLUMNS)} FROM job_attempts WHERE (job_id, attempt) > (?, ?)
       ORDER BY job_id, attempt LIMIT ?`,
      after[0],
      after[1],
      limit,
    );
  }

  async artifacts(after: [string, string] | null, limit: number): Promise<ArtifactRowDump[]> {
    return this.c.all<ArtifactRowDump>(
      `SELECT ${list(ARTIFACT_DUMP_COLUMNS)} FROM artifacts WHERE (job_id, name) > (?, ?)
       ORDER BY job_id, name LIMIT ?`,
      after?.[0] ?? '',
      after?.[1] ?? '',
      limit,
    );
  }

  /** The files, read at once: they are many and small, more often than not. */
  async artifactData(rows: ArtifactRowDump[]): Promise<Buffer[]> {
    return Promise.all(rows.map((r) => this.files.read(r.job_id as string, r.name as string)));
  }

  // ---- writing ----------------------------------------------------------------------
  async occupancy(): Promise<{ jobs: number; batches: number }> {
    return this.c.get<{ jobs: number; batches: number }>(
      'SELECT (SELECT count(*) FROM jobs) AS jobs, (SELECT count(*) FROM batches) AS batches',
    )!;
  }

  async writeTemplates(rows: TemplateDump[]): Promise<void> {
    this.c.write(() => {
      const insert = this.c.stmt(UPSERT_TEMPLATE);
      for (const r of rows) insert.run(...valuesOf(TEMPLATE_DUMP_COLUMNS, r));
    });
  }

  async writeBatches(rows: BatchDump[]): Promise<void> {
    this.c.write((tx) => {
      const insert = this.c.stmt(INSERT_BATCH);
      for (const r of rows) insert.run(...valuesOf(BATCH_DUMP_COLUMNS, r), tx.seq());
    });
  }

  async writeJobs(rows: JobDump[]): Promise<void> {
    if (rows.length === 0) return;
    this.c.write((tx) => {
      const seq = tx.seq();
      const job = this.c.stmt(INSERT_JOB);
      const params = this.c.stmt('INSERT INTO job_params (rid, params) VALUES (?, ?)');
      for (const r of rows) {
        job.run(...valuesOf(JOB_ROW_COLUMNS, r), seq);
        params.run(r.rid, r.params);
      }
      // The feed finds job rows through the change log (change-log.ts): one entry for the
      // chunk's rowid range, which holds no other rows (the store was empty of jobs).
      tx.changed.addRun(rows[0]!.rid as number, rows[rows.length - 1]!.rid as number);
    });
  }

  async writeLogs(rows: LogDump[]): Promise<void> {
    this.c.write(() => {
      const insert = this.c.stmt(INSERT_LOG);
      for (const r of rows) insert.run(...valuesOf(LOG_DUMP_COLUMNS, r));
    });
  }

  async writeAttempts(rows: AttemptDump[]): Promise<void> {
    this.c.write(() => {
      const insert = this.c.stmt(INSERT_ATTEMPT);
      for (const r of rows) insert.run(...valuesOf(ATTEMPT_DUMP_COLUMNS, r));
    });
  }

  /**
   * The files are staged first (written under temporary names, outside the transaction),
   * then the rows inserted and the files renamed into place inside it, as a worker's
   * artifact write does (sqlite-store.ts): a row never points at a file not yet written.
   */
  async writeArtifacts(items: ArtifactDump[]): Promise<void> {
    const staged: string[] = [];
    try {
      for (const a of items) staged.push(await this.files.stage(a.row.job_id as string, a.data));
      this.c.write(() => {
        const insert = this.c.stmt(INSERT_ARTIFACT);
        for (const a of items) insert.run(...valuesOf(ARTIFACT_DUMP_COLUMNS, a.row));
        items.forEach((a, i) => {
          this.files.publish(staged[i]!, a.row.job_id as string, a.row.name as string);
        });
      });
    } catch (error) {
      for (const path of staged) this.files.discard(path);
      throw error;
    }
  }
}
