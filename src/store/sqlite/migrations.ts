import type { DatabaseSync } from 'node:sqlite';

/**
 * Versioned migrations, applied in order inside one IMMEDIATE transaction, so several
 * processes opening a new database at once apply each exactly once.
 *
 * Design of the schema:
 * - one `state` column holds the lifecycle (core/lifecycle.ts); no other flag says
 *   whether a job runs;
 * - `updated_seq` is the change-feed position: every write transaction takes the next
 *   value of `kiln_seq` once and stamps every row it changes with it. SQLite has one
 *   writer at a time, so seq order is commit order and `updated_seq > last` never
 *   skips a commit;
 * - partial indexes per hot path: pending jobs in claim order, running jobs by lease
 *   owner, finished jobs by expiry;
 * - times are integer milliseconds since the epoch, named `_ms`.
 */
export const MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'jobs, batches, templates, logs, artifacts, change sequence',
    sql: `
CREATE TABLE kiln_seq (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  value INTEGER NOT NULL
) STRICT;
INSERT INTO kiln_seq (id, value) VALUES (1, 0);

CREATE TABLE batches (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  template TEXT,
  paused INTEGER NOT NULL DEFAULT 0,
  cancelled INTEGER NOT NULL DEFAULT 0,
  metadata TEXT,
  created_at_ms INTEGER NOT NULL,
  updated_seq INTEGER NOT NULL
) STRICT;
CREATE INDEX batches_seq ON batches (updated_seq);

CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  name TEXT,
  state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
  params TEXT NOT NULL,
  batch_id TEXT,
  idempotency_key TEXT,
  priority INTEGER NOT NULL DEFAULT 0,
  run_at_ms INTEGER NOT NULL,
  -- attempt counts every attempt the job ever had, retries included: a fence
  -- (id, attempt, owner) never repeats. A retry grants attempt_budget more.
  attempt INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  attempt_budget INTEGER NOT NULL,
  retention_ms INTEGER NOT NULL,
  lease_owner TEXT,
  lease_expires_at_ms INTEGER,
  progress REAL NOT NULL DEFAULT 0,
  progress_message TEXT,
  heartbeat_at_ms INTEGER,
  checkpoint TEXT,
  result TEXT,
  error TEXT,
  usage_tokens INTEGER NOT NULL DEFAULT 0,
  usage_cost_usd REAL NOT NULL DEFAULT 0,
  created_at_ms INTEGER NOT NULL,
  started_at_ms INTEGER,
  finished_at_ms INTEGER,
  expires_at_ms INTEGER,
  updated_seq INTEGER NOT NULL
) STRICT;
-- The claim walks this index in order and stops after LIMIT rows.
CREATE INDEX jobs_pending ON jobs (priority DESC, run_at_ms, id) WHERE state = 'pending';
-- Lease renewal, cancel checks, per-type running counts and the stall reaper read only running rows.
CREATE INDEX jobs_running ON jobs (lease_owner) WHERE state = 'running';
CREATE INDEX jobs_expiry ON jobs (expires_at_ms) WHERE expires_at_ms IS NOT NULL;
CREATE INDEX jobs_seq ON jobs (updated_seq);
-- Batch feeds read a batch's changes in seq order; aggregates scan the batch's rows.
CREATE INDEX jobs_batch ON jobs (batch_id, updated_seq) WHERE batch_id IS NOT NULL;
CREATE UNIQUE INDEX jobs_idempotency ON jobs (idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE TABLE job_logs (
  id INTEGER PRIMARY KEY,
  job_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  at_ms INTEGER NOT NULL,
  level TEXT NOT NULL,
  message TEXT NOT NULL,
  fields TEXT
) STRICT;
CREATE INDEX job_logs_job ON job_logs (job_id, id);

CREATE TABLE artifacts (
  job_id TEXT NOT NULL,
  name TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  content_type TEXT,
  created_at_ms INTEGER NOT NULL,
  PRIMARY KEY (job_id, name)
) STRICT, WITHOUT ROWID;

CREATE TABLE templates (
  name TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  description TEXT,
  params TEXT NOT NULL,
  grid TEXT,
  source TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL
) STRICT;
`,
  },
  {
    version: 2,
    name: 'jobs keyed by an integer row id; state check without an IN list',
    // The worker's writes name a job by its rowid (one b-tree seek instead of the id
    // index and then the table), and the CHECK is spelled as ORs: SQLite builds an IN
    // list's lookup table afresh for every row it checks, which cost about a quarter of
    // the worker's write time (docs/PERFORMANCE.md, W2). SQLite cannot add a primary key
    // to a table, so the table is rebuilt; rowids are kept.
    sql: `
CREATE TABLE jobs_v2 (
  rid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  name TEXT,
  state TEXT NOT NULL CHECK (state = 'pending' OR state = 'running' OR state = 'completed'
    OR state = 'failed' OR state = 'cancelled'),
  params TEXT NOT NULL,
  batch_id TEXT,
  idempotency_key TEXT,
  priority INTEGER NOT NULL DEFAULT 0,
  run_at_ms INTEGER NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  attempt_budget INTEGER NOT NULL,
  retention_ms INTEGER NOT NULL,
  lease_owner TEXT,
  lease_expires_at_ms INTEGER,
  progress REAL NOT NULL DEFAULT 0,
  progress_message TEXT,
  heartbeat_at_ms INTEGER,
  checkpoint TEXT,
  result TEXT,
  error TEXT,
  usage_tokens INTEGER NOT NULL DEFAULT 0,
  usage_cost_usd REAL NOT NULL DEFAULT 0,
  created_at_ms INTEGER NOT NULL,
  started_at_ms INTEGER,
  finished_at_ms INTEGER,
  expires_at_ms INTEGER,
  updated_seq INTEGER NOT NULL
) STRICT;
INSERT INTO jobs_v2 (rid, id, type, name, state, params, batch_id, idempotency_key, priority, run_at_ms, attempt,
  max_attempts, attempt_budget, retention_ms, lease_owner, lease_expires_at_ms, progress,
  progress_message, heartbeat_at_ms, checkpoint, result, error, usage_tokens, usage_cost_usd,
  created_at_ms, started_at_ms, finished_at_ms, expires_at_ms, updated_seq)
  SELECT rowid, id, type, name, state, params, batch_id, idempotency_key, priority, run_at_ms, attempt,
  max_attempts, attempt_budget, retention_ms, lease_owner, lease_expires_at_ms, progress,
  progress_message, heartbeat_at_ms, checkpoint, result, error, usage_tokens, usage_cost_usd,
  created_at_ms, started_at_ms, finished_at_ms, expires_at_ms, updated_seq FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_v2 RENAME TO jobs;
CREATE INDEX jobs_pending ON jobs (priority DESC, run_at_ms, rid) WHERE state = 'pending';
CREATE INDEX jobs_running ON jobs (lease_owner) WHERE state = 'running';
CREATE INDEX jobs_expiry ON jobs (expires_at_ms) WHERE expires_at_ms IS NOT NULL;
CREATE INDEX jobs_seq ON jobs (updated_seq);
CREATE INDEX jobs_batch ON jobs (batch_id, updated_seq) WHERE batch_id IS NOT NULL;
CREATE UNIQUE INDEX jobs_idempotency ON jobs (idempotency_key) WHERE idempotency_key IS NOT NULL;
`,
  },
  {
    version: 3,
    name: 'job change log instead of an index on jobs.updated_seq',
    // Each write transaction appends which rows it changed, as runs of rowids, instead
    // of moving every changed row within an index on updated_seq: a worker's turn writes
    // one or a few log rows where it used to make two index changes per job
    // (docs/PERFORMANCE.md, W2). A row is in the feed at its updated_seq; a log entry
    // whose rows all changed again since (or were deleted) is dead and pruned.
    sql: `
CREATE TABLE job_changes (
  seq INTEGER NOT NULL,
  first_rid INTEGER NOT NULL,
  last_rid INTEGER NOT NULL,
  PRIMARY KEY (seq, first_rid)
) STRICT, WITHOUT ROWID;
INSERT INTO job_changes (seq, first_rid, last_rid) SELECT updated_seq, rid, rid FROM jobs;
DROP INDEX jobs_seq;
`,
  },
  {
    version: 4,
    name: 'job params in a table of their own',
    // SQLite rewrites a whole row on every UPDATE, and a job row is updated at its claim,
    // at every progress flush and at its settle. Params never change after the enqueue,
    // and may be kilobytes (a presentation's slides): 100 jobs with 10 KB params took
    // ten times as long to report progress as with 10-byte ones. Apart, they are
    // written once.
    sql: `
CREATE TABLE job_params (
  rid INTEGER PRIMARY KEY,
  params TEXT NOT NULL
) STRICT;
INSERT INTO job_params (rid, params) SELECT rid, params FROM jobs;
ALTER TABLE jobs DROP COLUMN params;
`,
  },
  {
    version: 5,
    name: 'batch-completion webhooks (outbox), scheduled templates, settings',
    // A batch's end is noticed off the worker's hot path: a dispatcher looks for batches
    // with a webhook and no notice yet (`webhook_notified_at_ms IS NULL`, a partial index
    // keeps them few), and when one has ended it sets the mark and inserts the outbox row
    // in one transaction (src/webhooks). A retry clears the mark. Templates keep their
    // cron schedule and the last tick that made (or skipped) a batch: the scheduler
    // moves it forward by compare-and-set in the transaction that inserts the tick's batch.
    sql: `
ALTER TABLE batches ADD COLUMN webhook_url TEXT;
ALTER TABLE batches ADD COLUMN webhook_notified_at_ms INTEGER;
CREATE INDEX batches_webhook_waiting ON batches (id)
  WHERE webhook_url IS NOT NULL AND webhook_notified_at_ms IS NULL;

ALTER TABLE templates ADD COLUMN webhook_url TEXT;
ALTER TABLE templates ADD COLUMN schedule TEXT;
ALTER TABLE templates ADD COLUMN last_tick_at_ms INTEGER;

CREATE TABLE webhook_deliveries (
  id TEXT PRIMARY KEY,
  batch_id TEXT NOT NULL,
  event TEXT NOT NULL,
  url TEXT NOT NULL,
  -- the batch as it ended (JSON): the body is built from it, the same at every attempt
  summary TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state = 'pending' OR state = 'delivered' OR state = 'dead'),
  attempts INTEGER NOT NULL DEFAULT 0,
  -- when due; while an attempt is out, the end of its lease (a claim moves it forward)
  next_attempt_at_ms INTEGER NOT NULL,
  lease_owner TEXT,
  last_status INTEGER,
  last_error TEXT,
  created_at_ms INTEGER NOT NULL,
  delivered_at_ms INTEGER
) STRICT;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at_ms) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_batch ON webhook_deliveries (batch_id, created_at_ms);

CREATE TABLE kiln_settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
`,
  },
  {
    version: 6,
    name: 'per-batch concurrency cap; attempts history',
    // A batch's cap is copied onto its jobs (`batch_concurrency`, never changed after the
    // insert) so the claim can tell a capped job from its own row, which it reads anyway:
    // the fast claim excludes them and only a turn that finds any due (the partial index
    // jobs_pending_capped, empty when no batch has a cap) takes the capped path
    // (worker-queries.ts). Past attempts are written only on the slow paths (retry,
    // stall, fail, cancel of a running job, release); the current or last attempt is the
    // job row itself, so a completion writes nothing more.
    sql: `
ALTER TABLE batches ADD COLUMN concurrency INTEGER;
ALTER TABLE jobs ADD COLUMN batch_concurrency INTEGER;
CREATE INDEX jobs_pending_capped ON jobs (run_at_ms) WHERE state = 'pending' AND batch_concurrency IS NOT NULL;

CREATE TABLE job_attempts (
  job_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state = 'retried' OR state = 'stalled' OR state = 'failed'
    OR state = 'cancelled' OR state = 'released'),
  started_at_ms INTEGER,
  finished_at_ms INTEGER NOT NULL,
  lease_owner TEXT,
  error TEXT,
  PRIMARY KEY (job_id, attempt)
) STRICT, WITHOUT ROWID;
`,
  },
  {
    version: 7,
    name: 'flush marks',
    // The mark of the last progress flush applied to the job (worker/progress-buffer.ts
    // flushMark): a flush sent again after a turn whose outcome was unknown is skipped,
    // so its usage and log lines are not written twice.
    sql: `
ALTER TABLE jobs ADD COLUMN flush_mark INTEGER NOT NULL DEFAULT 0;
`,
  },
];

/** The newest schema version this code knows. */
export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Applies the migrations the database lacks; returns their versions (none: up to date). */
export function migrate(db: DatabaseSync): number[] {
  const applied: number[] = [];
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(
      'CREATE TABLE IF NOT EXISTS kiln_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms INTEGER NOT NULL) STRICT',
    );
    const row = db.prepare('SELECT coalesce(max(version), 0) AS v FROM kiln_migrations').get() as {
      v: number;
    };
    for (const m of MIGRATIONS) {
      if (m.version <= row.v) continue;
      db.exec(m.sql);
      db.prepare('INSERT INTO kiln_migrations (version, name, applied_at_ms) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        Date.now(),
      );
      applied.push(m.version);
    }
    db.exec('COMMIT');
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
  return applied;
}

/** The version the database is at: the newest migration applied to it. */
export function schemaVersion(db: DatabaseSync): number {
  return (
    db.prepare('SELECT coalesce(max(version), 0) AS v FROM kiln_migrations').get() as {
      v: number;
    }
  ).v;
}
