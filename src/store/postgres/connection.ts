import type pg from 'pg';
import { KilnError } from '../../core/errors.ts';
import { migrate } from './migrations.ts';
import { PlannerStats } from './planner-stats.ts';
import { DB_NOW_MS, ident } from './sql.ts';

/** A value bound to a query parameter. */
export type PgValue = string | number | boolean | null | Buffer | readonly unknown[];

/**
 * PostgreSQL cannot hold U+0000 in text (SQLSTATE 22021) or in a jsonb string (22P05);
 * SQLite can. Such a character in a name, key, id or filter is the caller's input, so
 * it is refused as bad input (INVALID_ARGUMENT, an HTTP 400), never a server failure.
 * (Strings from JavaScript reach the driver as valid UTF-8, so a NUL is the only way
 * to meet these errors.)
 */
export function asInputError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== '22021' && code !== '22P05') return error;
  return new KilnError(
    'INVALID_ARGUMENT',
    'a text value holds a NUL character (U+0000), which the PostgreSQL store cannot hold',
  );
}

const INT8 = 20;
const parseInt8 = (value: string): number => Number(value);

/** 64-bit integers as numbers: times in ms, counts and transaction ids all fit in 2^53. */
function typesOf(driver: typeof pg): { getTypeParser: typeof pg.types.getTypeParser } {
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === INT8 && format !== 'binary'
        ? parseInt8
        : driver.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
  };
}

/**
 * The driver, loaded on first use: a process on the embedded store never loads it (it
 * would add about 4 MB to every SQLite worker's memory).
 */
export async function loadDriver(): Promise<typeof pg> {
  return (await import('pg')).default;
}

const ignoreError = (): void => {};

/** Turns in flight at once in one process: one per worker, and a process usually runs one. */
const PLANNED_POOL_SIZE = 2;

/**
 * The settings of planned()'s connections, as `options`: one plan per statement, made
 * without the values, and no nested loops, whose cost a plan without values cannot
 * judge (it takes each array for 10 rows: a nested loop over two of them compares each
 * row of one with each row of the other, 62,500 times for 250 rows). Exported for the
 * test of the plans (test/postgres/claim-plan.test.ts).
 */
export const PLANNED_SETTINGS = '-c plan_cache_mode=force_generic_plan -c enable_nestloop=off';

/** A write transaction's context. */
export interface PgTx {
  readonly client: pg.PoolClient;
  /** The database clock at the transaction's start (ms). */
  readonly nowMs: number;
  /** Marks that the transaction stamped feed rows: listeners are notified at commit. */
  changed(): void;
}

export interface PgConnectionOptions {
  /** A `postgres://` connection string. */
  url: string;
  /** The schema holding Kiln's tables. */
  schema: string;
  /** Pooled connections (default 5). */
  poolSize?: number;
}

/**
 * A pool of connections to one schema, with transactions. Every connection's
 * `search_path` is the schema, so the SQL names tables unqualified.
 */
export class PgConnection {
  readonly schema: string;
  readonly url: string;
  /** The channel each feed-changing commit notifies (listener.ts). */
  readonly channel: string;
  /**
   * This store instance's name, sent as the payload of its notices: its own listener
   * skips them (its commits are announced in-process at once), so a busy worker is not
   * woken once more by each of its own commits.
   */
  readonly origin = Math.random().toString(36).slice(2, 10);
  private readonly afterCommit = new Set<() => void>();
  /** Refreshes the planner's statistics of `jobs` after bursts of enqueues. */
  readonly plannerStats: PlannerStats = new PlannerStats(this);
  private ready: Promise<void> | undefined;
  private readonly poolSize: number;
  private madePool: pg.Pool | undefined;
  /** Connections for statements planned once (planned()): the worker's turn. */
  private plannedPool: pg.Pool | undefined;
  private clockOffsetMs = 0;
  /** The NOTIFY in flight, and whether commits since call for one more (announceCommit). */
  private notice: Promise<void> | undefined;
  private noticeAgain = false;
  private ending = false;
  /** Set once open: the migrations this process applied, and the schema's version. */
  private migration: { applied: number[]; version: number } | undefined;

  constructor(options: PgConnectionOptions) {
    this.schema = options.schema;
    this.url = options.url;
    this.channel = `kiln_${options.schema}`;
    this.poolSize = options.poolSize ?? 5;
  }

  /** The pool, made by `open()`: every query waits for that. */
  get pool(): pg.Pool {
    if (this.madePool === undefined) throw new Error('the PostgreSQL store is not open yet');
    return this.madePool;
  }

  /** Loads the driver, creates the schema and applies migrations, once. */
  open(): Promise<void> {
    this.ready ??= (async () => {
      const driver = await loadDriver();
      this.madePool = new driver.Pool({
        connectionString: this.url,
        max: this.poolSize,
        options: `-c search_path=${ident(this.schema)}`,
        types: typesOf(driver),
      });
      // Opens connections only when planned() is first called: in a worker process.
      this.plannedPool = new driver.Pool({
        connectionString: this.url,
        max: PLANNED_POOL_SIZE,
        options: `-c search_path=${ident(this.schema)} ${PLANNED_SETTINGS}`,
        types: typesOf(driver),
      });
      // A connection that breaks while idle in a pool must not crash the process: the
      // pool drops it and the next query opens another.
      this.madePool.on('error', () => {});
      this.plannedPool.on('error', () => {});
      const client = await this.checkout();
      try {
        this.migration = await migrate(client, this.schema);
        await this.syncClock(client);
      } finally {
        client.release();
      }
    })();
    return this.ready;
  }

  /** The schema's version, and the migrations this process applied on opening it. */
  async migrations(): Promise<{ applied: number[]; version: number }> {
    await this.open();
    return this.migration!;
  }

  /**
   * A client of the pool, for statements in a transaction. The pool listens for the
   * errors of idle clients only: a backend killed (a restart, pg_terminate_backend) while
   * its client is checked out between two statements would raise an 'error' event that
   * nobody handles, and end the process. It is ignored here: the next statement fails
   * instead, and the transaction is given up as for any other failure.
   */
  private async checkout(): Promise<pg.PoolClient> {
    const client = await this.pool.connect();
    if (!client.listeners('error').includes(ignoreError)) client.on('error', ignoreError);
    return client;
  }

  /** The database clock as this process reckons it (offset measured at open, refreshed by writes). */
  nowMs(): number {
    return Date.now() + this.clockOffsetMs;
  }

  private async syncClock(client: pg.PoolClient): Promise<void> {
    const before = Date.now();
    const r = await client.query<{ now: number }>(`SELECT ${DB_NOW_MS} AS now`);
    const after = Date.now();
    this.clockOffsetMs = r.rows[0]!.now - (before + after) / 2;
  }

  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values: PgValue[] = [],
  ): Promise<R[]> {
    await this.open();
    try {
      return (await this.pool.query<R>(text, values as unknown[])).rows;
    } catch (error) {
      throw asInputError(error);
    }
  }

  /**
   * Rows as arrays, in the statement's column order. A `name` prepares the statement
   * once per connection: PostgreSQL then skips parsing it on every call, and plans it
   * afresh while a plan for the values at hand looks cheaper than a generic one.
   */
  async tuples<T extends unknown[]>(
    text: string,
    values: PgValue[] = [],
    name?: string,
  ): Promise<T[]> {
    await this.open();
    const query = { text, values: values as unknown[], rowMode: 'array' as const };
    try {
      return (await this.pool.query<T>(name === undefined ? query : { ...query, name })).rows;
    } catch (error) {
      throw asInputError(error);
    }
  }

  /**
   * Rows as arrays, of a statement prepared as `name` and planned once per connection,
   * whatever its values. PostgreSQL otherwise plans a prepared statement afresh on each
   * call for as long as a plan made for its values looks cheaper than the generic one,
   * which for the worker's turn is always (its LIMIT is a parameter): the planning cost
   * 0.9–3.3 ms of each turn, a fifth to a third of it (docs/PERFORMANCE.md). The
   * connections of this pool run with PLANNED_SETTINGS, so only statements whose generic
   * plan is tested to be good may come here
   * (test/postgres/claim-plan.test.ts). A plan is made again after the tables' statistics
   * change (an ANALYZE invalidates it).
   */
  async planned<T extends unknown[]>(name: string, text: string, values: PgValue[]): Promise<T[]> {
    await this.open();
    try {
      return (
        await this.plannedPool!.query<T>({
          name,
          text,
          values: values as unknown[],
          rowMode: 'array',
        })
      ).rows;
    } catch (error) {
      throw asInputError(error);
    }
  }

  /**
   * Runs `fn` in one READ COMMITTED transaction. Listeners hear of it after the commit
   * if it stamped feed rows, other processes through a NOTIFY after it (announceCommit).
   */
  async write<T>(fn: (tx: PgTx) => Promise<T>): Promise<T> {
    await this.open();
    const client = await this.checkout();
    let changed = false;
    try {
      const [, now] = (await client.query(`BEGIN; SELECT ${DB_NOW_MS} AS now`)) as unknown as [
        pg.QueryResult,
        pg.QueryResult<{ now: number }>,
      ];
      const nowMs = now.rows[0]!.now;
      this.clockOffsetMs = nowMs - Date.now();
      const result = await fn({
        client,
        nowMs,
        changed: () => {
          changed = true;
        },
      });
      await client.query('COMMIT');
      client.release();
      if (changed) this.announceCommit();
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      // A connection in an unknown state is not returned to the pool.
      client.release(true);
      throw asInputError(error);
    }
  }

  /**
   * Announces a commit that changed the feed: to this process's listeners at once, and to
   * other processes with a NOTIFY sent after the commit, in a statement of its own.
   *
   * Not inside the writing transaction: PostgreSQL serializes the commits of all
   * transactions that NOTIFY on one server-wide lock, held through the commit's WAL
   * flush, so notifying from every worker turn made all workers' turns commit one at a
   * time. A NOTIFY alone writes no WAL and holds the lock for a moment. At most one is in
   * flight per process; commits meanwhile are covered by one more after it. A process
   * that dies between its commit and its notice leaves the others to their polls (a
   * notice is a hint; the rows are the truth).
   */
  announceCommit(): void {
    for (const listener of this.afterCommit) listener();
    this.sendNotice();
  }

  private sendNotice(): void {
    if (this.notice !== undefined) {
      this.noticeAgain = true;
      return;
    }
    this.notice = this.pool
      .query({
        name: 'kiln_notify',
        text: 'SELECT pg_notify($1, $2)',
        values: [this.channel, this.origin],
      })
      .then(
        () => {},
        () => {},
      )
      .finally(() => {
        this.notice = undefined;
        if (this.noticeAgain && !this.ending) {
          this.noticeAgain = false;
          this.sendNotice();
        }
      });
  }

  /** Listeners called after each commit of this process that changed the feed. */
  onLocalCommit(listener: () => void): () => void {
    this.afterCommit.add(listener);
    return () => this.afterCommit.delete(listener);
  }

  async close(): Promise<void> {
    this.ending = true;
    await this.notice;
    await this.plannerStats.close();
    this.afterCommit.clear();
    await this.ready?.catch(() => {});
    await this.madePool?.end();
    await this.plannedPool?.end();
  }
}
