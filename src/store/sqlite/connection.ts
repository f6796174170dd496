import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { ChangedRows, INSERT_CHANGE } from './change-log.ts';
import { CommitBell } from './commit-bell.ts';
import { migrate } from './migrations.ts';

export type Durability = 'process-crash' | 'power-loss';

export interface ConnectionOptions {
  path: string;
  /**
   * 'process-crash' (default): WAL with synchronous=NORMAL. A commit is in the WAL file
   * before it is acknowledged, so a kill -9 of any process loses nothing; a power cut
   * may lose the last commits. 'power-loss': synchronous=FULL, an fsync per commit.
   */
  durability?: Durability;
  busyTimeoutMs?: number;
}

/** A write transaction's context: the feed position its changes are stamped with. */
export interface Tx {
  /**
   * The transaction's change seq, taken on first use (one per transaction). Take it only
   * when something changes: a seq bumps the feed and wakes every watcher and worker, so
   * an idle claim that took one made idle workers spin on each other.
   */
  seq(): number;
  /** The store clock, read once per transaction so every row agrees. */
  readonly nowMs: number;
  /**
   * Every job row this transaction stamps with `seq()` must be added here: the commit
   * logs them in `job_changes`, which is how the feed finds them (change-log.ts).
   */
  readonly changed: ChangedRows;
}

/**
 * One connection to the database file: pragmas, a statement cache and transactions.
 * node:sqlite is synchronous, so a transaction never interleaves with another call of
 * this process; other processes are kept out by BEGIN IMMEDIATE and the busy timeout.
 */
export class SqliteConnection {
  readonly db: DatabaseSync;
  readonly path: string;
  private readonly statements = new Map<string, StatementSync>();
  private readonly tupleStatements = new Map<string, StatementSync>();
  private readonly afterCommit = new Set<() => void>();
  /** Rung after each commit that changed the feed, for other processes' watchers. */
  readonly bell: CommitBell;
  /** The migrations this connection applied when it opened the file (`kiln migrate` reports them). */
  readonly migrated: number[];
  private inTx = false;

  constructor(options: ConnectionOptions) {
    this.path = options.path;
    this.db = new DatabaseSync(options.path, { timeout: options.busyTimeoutMs ?? 5_000 });
    this.db.exec('PRAGMA journal_mode = WAL');
    this.db.exec(`PRAGMA synchronous = ${options.durability === 'power-loss' ? 'FULL' : 'NORMAL'}`);
    // Auto-checkpoints run inside a commit and set the tail latency; fewer, larger ones
    // measured faster here (docs/PERFORMANCE.md). The WAL stays under ~40 MB.
    this.db.exec('PRAGMA wal_autocheckpoint = 10000');
    this.db.exec('PRAGMA temp_store = MEMORY');
    this.migrated = migrate(this.db);
    this.bell = new CommitBell(options.path);
  }

  stmt(sql: string): StatementSync {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  get<T>(sql: string, ...params: SQLInputValue[]): T | undefined {
    return this.stmt(sql).get(...params) as T | undefined;
  }

  all<T>(sql: string, ...params: SQLInputValue[]): T[] {
    return this.stmt(sql).all(...params) as T[];
  }

  /**
   * Like `all`, with each row as an array in the statement's column order: node:sqlite
   * builds arrays about twice as fast as objects, which counts on the worker's claim.
   */
  tuples<T extends unknown[]>(sql: string, ...params: SQLInputValue[]): T[] {
    return this.tupleStatement(sql).all(...params) as unknown as T[];
  }

  private tupleStatement(sql: string): StatementSync {
    let s = this.tupleStatements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      s.setReturnArrays(true);
      this.tupleStatements.set(sql, s);
    }
    return s;
  }

  /**
   * `run` and `tuples` with the parameters as one array, for the worker's statements
   * with dozens of them: no spread, so no iterator objects per parameter in code V8
   * has not optimized yet (most of a short-lived worker's life).
   */
  runArray(sql: string, params: SQLInputValue[]): number {
    const s = this.stmt(sql);
    return Number((Reflect.apply(s.run, s, params) as { changes: number | bigint }).changes);
  }

  tuplesArray<T extends unknown[]>(sql: string, params: SQLInputValue[]): T[] {
    const s = this.tupleStatement(sql);
    return Reflect.apply(s.all, s, params) as T[];
  }

  run(sql: string, ...params: SQLInputValue[]): number {
    return Number(this.stmt(sql).run(...params).changes);
  }

  /** Runs `fn` in one IMMEDIATE transaction; commit listeners hear of it afterwards. */
  write<T>(fn: (tx: Tx) => T): T {
    if (this.inTx) throw new Error('nested transaction');
    this.inTx = true;
    let seq = 0;
    const tx: Tx = {
      nowMs: Date.now(),
      // A plain read and a plain write: `UPDATE … RETURNING` builds a temporary table per call.
      seq: () => {
        if (seq === 0) {
          seq = this.tuples<[number]>('SELECT value FROM kiln_seq WHERE id = 1')[0]![0] + 1;
          this.stmt('UPDATE kiln_seq SET value = ? WHERE id = 1').run(seq);
        }
        return seq;
      },
      changed: new ChangedRows(),
    };
    this.db.exec('BEGIN IMMEDIATE');
    let result: T;
    try {
      result = fn(tx);
      if (!tx.changed.empty) {
        const insert = this.stmt(INSERT_CHANGE);
        const at = tx.seq();
        for (const [first, last] of tx.changed.toRuns()) insert.run(at, first, last);
      }
      this.db.exec('COMMIT');
    } catch (error) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw error;
    } finally {
      this.inTx = false;
    }
    if (seq !== 0) {
      this.bell.ring();
      for (const listener of this.afterCommit) listener();
    }
    return result;
  }

  /** Copies what the WAL holds back into the database file, without blocking anyone. */
  checkpoint(): void {
    this.stmt('PRAGMA wal_checkpoint(PASSIVE)').get();
  }

  /** Runs `fn` in one read transaction: every statement sees the same snapshot. */
  read<T>(fn: () => T): T {
    if (this.inTx) return fn();
    this.inTx = true;
    this.db.exec('BEGIN');
    try {
      return fn();
    } finally {
      this.db.exec('COMMIT');
      this.inTx = false;
    }
  }

  /** Listeners called after each commit of this connection that changed the feed. */
  onLocalCommit(listener: () => void): () => void {
    this.afterCommit.add(listener);
    return () => this.afterCommit.delete(listener);
  }

  close(): void {
    this.bell.close();
    this.statements.clear();
    this.tupleStatements.clear();
    this.db.close();
  }
}
