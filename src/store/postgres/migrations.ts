import type pg from 'pg';
import { ident } from './sql.ts';

/**
 * Versioned migrations of the PostgreSQL store, in its own schema. Each process that
 * opens the store takes a transaction-level advisory lock named after the schema before
 * it looks at the applied versions, so processes starting at once apply each migration
 * exactly once (the others wait, then find nothing to do).
 *
 * The schema mirrors the SQLite store's (sqlite/migrations.ts) where it can, so that
 * both read into the same rows (rows.ts):
 * - `state` alone holds the lifecycle;
 * - `updated_seq` is the id of the transaction that last changed the row (sql.ts,
 *   TX_SEQ), and the feed reads below the oldest running transaction (feed.ts);
 * - times are bigint milliseconds on the database's clock, named `_ms`;
 * - JSON values are text, parsed by the process that reads them;
 * - artifacts are stored in the database (`bytea`), so any instance on any machine
 *   serves what a worker on another machine wrote; no shared disk is needed.
 */
export const PG_MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'jobs, params, batches, templates, logs, artifacts',
    sql: `
CREATE TABLE batches (
  id text PRIMARY KEY,
  name text NOT NULL,
  template text,
  paused integer NOT NULL DEFAULT 0,
  cancelled integer NOT NULL DEFAULT 0,
  metadata text,
  created_at_ms bigint NOT NULL,
  updated_seq bigint NOT NULL
);
CREATE INDEX batches_seq ON batches (updated_seq);

CREATE TABLE jobs (
  rid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text NOT NULL UNIQUE,
  type text NOT NULL,
  name text,
  state text NOT NULL CHECK (state IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
  batch_id text,
  idempotency_key text,
  priority integer NOT NULL DEFAULT 0,
  run_at_ms bigint NOT NULL,
  attempt integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL,
  attempt_budget integer NOT NULL,
  retention_ms bigint NOT NULL,
  lease_owner text,
  lease_expires_at_ms bigint,
  progress double precision NOT NULL DEFAULT 0,
  progress_message text,
  heartbeat_at_ms bigint,
  checkpoint text,
  result text,
  error text,
  usage_tokens bigint NOT NULL DEFAULT 0,
  usage_cost_usd double precision NOT NULL DEFAULT 0,
  created_at_ms bigint NOT NULL,
  started_at_ms bigint,
  finished_at_ms bigint,
  expires_at_ms bigint,
  updated_seq bigint NOT NULL
);
-- The claim walks this index in order, skipping rows other workers hold locked.
CREATE INDEX jobs_pending ON jobs (priority DESC, run_at_ms, rid) WHERE state = 'pending';
CREATE INDEX jobs_running ON jobs (lease_owner) WHERE state = 'running';
CREATE INDEX jobs_expiry ON jobs (expires_at_ms) WHERE expires_at_ms IS NOT NULL;
CREATE INDEX jobs_seq ON jobs (updated_seq);
CREATE INDEX jobs_batch ON jobs (batch_id, updated_seq) WHERE batch_id IS NOT NULL;
CREATE UNIQUE INDEX jobs_idempotency ON jobs (idempotency_key) WHERE idempotency_key IS NOT NULL;

-- Params never change after the enqueue: apart, claims and flushes do not rewrite them.
CREATE TABLE job_params (
  rid bigint PRIMARY KEY,
  params text NOT NULL
);

CREATE TABLE job_logs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job_id text NOT NULL,
  attempt integer NOT NULL,
  at_ms bigint NOT NULL,
  level text NOT NULL,
  message text NOT NULL,
  fields text
);
CREATE INDEX job_logs_job ON job_logs (job_id, id);

CREATE TABLE artifacts (
  job_id text NOT NULL,
  name text NOT NULL,
  size_bytes bigint NOT NULL,
  content_type text,
  created_at_ms bigint NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (job_id, name)
);

CREATE TABLE templates (
  name text PRIMARY KEY,
  type text NOT NULL,
  description text,
  params text NOT NULL,
  grid text,
  source text NOT NULL,
  created_at_ms bigint NOT NULL,
  updated_at_ms bigint NOT NULL
);
`,
  },
  {
    version: 2,
    name: 'batch-completion webhooks (outbox), scheduled templates, settings',
    // As in the SQLite store's migration 5: the webhook mark on batches (a partial index
    // keeps the batches still waiting for their end few), the schedule and last tick on
    // templates, the outbox, and settings (the generated webhook secret).
    sql: `
ALTER TABLE batches ADD COLUMN webhook_url text;
ALTER TABLE batches ADD COLUMN webhook_notified_at_ms bigint;
CREATE INDEX batches_webhook_waiting ON batches (id)
  WHERE webhook_url IS NOT NULL AND webhook_notified_at_ms IS NULL;

ALTER TABLE templates ADD COLUMN webhook_url text;
ALTER TABLE templates ADD COLUMN schedule text;
ALTER TABLE templates ADD COLUMN last_tick_at_ms bigint;

CREATE TABLE webhook_deliveries (
  id text PRIMARY KEY,
  batch_id text NOT NULL,
  event text NOT NULL,
  url text NOT NULL,
  summary text NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at_ms bigint NOT NULL,
  lease_owner text,
  last_status integer,
  last_error text,
  created_at_ms bigint NOT NULL,
  delivered_at_ms bigint
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at_ms) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_batch ON webhook_deliveries (batch_id, created_at_ms);

CREATE TABLE kiln_settings (
  key text PRIMARY KEY,
  value text NOT NULL
);
`,
  },
  {
    version: 3,
    name: 'per-batch concurrency cap; attempts history',
    // As SQLite's migration 6 (sqlite/migrations.ts): the batch's cap copied onto its
    // jobs for the claim, a partial index that is empty while no batch has a cap, and
    // past attempts written only on the slow paths.
    sql: `
ALTER TABLE batches ADD COLUMN concurrency integer;
ALTER TABLE jobs ADD COLUMN batch_concurrency integer;
CREATE INDEX jobs_pending_capped ON jobs (run_at_ms) WHERE state = 'pending' AND batch_concurrency IS NOT NULL;

CREATE TABLE job_attempts (
  job_id text NOT NULL,
  attempt integer NOT NULL,
  state text NOT NULL CHECK (state IN ('retried', 'stalled', 'failed', 'cancelled', 'released')),
  started_at_ms bigint,
  finished_at_ms bigint NOT NULL,
  lease_owner text,
  error text,
  PRIMARY KEY (job_id, attempt)
);
`,
  },
  {
    version: 4,
    name: 'flush marks',
    // As SQLite's migration 7: the mark of the last progress flush applied to the job, so
    // that a flush sent again after a turn whose commit went unheard (a connection lost
    // between the commit and its answer) does not add its usage and log lines twice.
    sql: `
ALTER TABLE jobs ADD COLUMN flush_mark bigint NOT NULL DEFAULT 0;
`,
  },
];

/** The newest schema version this code knows. */
export const PG_LATEST_VERSION = PG_MIGRATIONS[PG_MIGRATIONS.length - 1]!.version;

/**
 * Creates the schema if needed and applies the migrations it lacks, under a lock.
 * Returns the versions it applied (none: up to date) and the version the schema is at.
 */
export async function migrate(
  client: pg.PoolClient,
  schema: string,
): Promise<{ applied: number[]; version: number }> {
  const done: number[] = [];
  await client.query('BEGIN');
  try {
    // hashtext: any process naming the same schema takes the same lock.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`kiln:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${ident(schema)}.kiln_migrations (
         version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const applied = await client.query<{ v: number }>(
      `SELECT coalesce(max(version), 0) AS v FROM ${ident(schema)}.kiln_migrations`,
    );
    for (const m of PG_MIGRATIONS) {
      if (m.version <= applied.rows[0]!.v) continue;
      await client.query(`SET LOCAL search_path = ${ident(schema)}`);
      await client.query(m.sql);
      await client.query(
        `INSERT INTO ${ident(schema)}.kiln_migrations (version, name) VALUES ($1, $2)`,
        [m.version, m.name],
      );
      done.push(m.version);
    }
    await client.query('COMMIT');
    return { applied: done, version: Math.max(applied.rows[0]!.v, ...done) };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}
