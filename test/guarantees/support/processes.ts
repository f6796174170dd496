/**
 * Child processes and stores for the guarantee tests, with one teardown that SIGKILLs
 * every child still alive (stopped ones included), then removes every store the test
 * made: a SQLite folder, or a PostgreSQL schema (kept when the test failed, for a look
 * at what it left; test/support/stores.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'vitest';
import { waitFor } from '../../support/helpers.ts';
import { newTestStore, type TestStore } from '../../support/stores.ts';

export interface Child {
  child: ChildProcess;
  pid: number;
  /** Every stdout line so far. */
  lines: string[];
  /** The first stdout line, parsed (the scripts print `{"ready":true,…}` once running). */
  ready: Promise<Record<string, unknown>>;
  /** Resolves on exit and after stdout is drained: every line the process printed is in `lines`. */
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Stdout lines parsed as JSON (lines that are not JSON are skipped). */
  json<T = Record<string, unknown>>(): T[];
  /**
   * The `application_name` of the process's PostgreSQL connections (PGAPPNAME, which
   * the driver reads): its backends in pg_stat_activity carry it.
   */
  appName: string;
}

const children = new Set<Child>();
const stores = new Set<TestStore>();
let spawned = 0;
process.on('exit', () => {
  for (const c of children) c.child.kill('SIGKILL');
});

/** Runs a .ts script of this folder on this Node, with optional Node flags. */
export function spawnSupport(script: string, args: string[] = [], nodeArgs: string[] = []): Child {
  const file = fileURLToPath(new URL(`./${script}`, import.meta.url));
  const appName = `kiln_test_${process.pid}_${++spawned}`;
  const child = spawn(process.execPath, [...nodeArgs, file, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, PGAPPNAME: appName },
  });
  const lines: string[] = [];
  const rl = createInterface({ input: child.stdout! });
  rl.on('line', (line) => lines.push(line));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  const handle: Child = {
    child,
    pid: child.pid!,
    lines,
    ready: Promise.race([
      waitFor(() => lines[0], { timeoutMs: 30_000, what: `${script} to be ready` }).then(
        (l) => JSON.parse(l) as Record<string, unknown>,
      ),
      closed.then(({ code, signal }) => {
        throw new Error(`${script} exited (${signal ?? code}) before it was ready`);
      }),
    ]),
    closed,
    appName,
    json<T>() {
      const out: T[] = [];
      for (const l of lines) {
        if (!l.startsWith('{')) continue;
        try {
          out.push(JSON.parse(l) as T);
        } catch {
          // a line cut short by a kill
        }
      }
      return out;
    },
  };
  handle.ready.catch(() => {});
  children.add(handle);
  void closed.then(() => children.delete(handle));
  return handle;
}

/** A worker process running the guarantee job types; `extra` turns on tracing, RSS or error reports. */
export function spawnWorkerProcess(
  url: string,
  workerOptions: Record<string, unknown> = {},
  extra: {
    trace?: boolean;
    rssEveryMs?: number;
    countCompletions?: boolean;
    errors?: boolean;
  } = {},
  nodeArgs: string[] = [],
): Child {
  return spawnSupport(
    'worker.ts',
    [url, JSON.stringify(workerOptions), JSON.stringify(extra)],
    nodeArgs,
  );
}

/** A fresh store of the kind this run is for (test/support/stores.ts), removed by `teardown()`. */
export function testStore(): TestStore {
  const store = newTestStore();
  stores.add(store);
  return store;
}

/**
 * SIGKILLs every child still running (SIGKILL also ends stopped ones), then removes the
 * stores; a failed test's PostgreSQL schema stays. Register as `afterEach(teardown)`.
 */
export async function teardown(context: TestContext): Promise<void> {
  const alive = [...children];
  for (const c of alive) c.child.kill('SIGKILL');
  await Promise.all(alive.map((c) => c.closed));
  const failed = context.task.result?.state === 'fail';
  for (const store of stores) await store.cleanup(failed);
  stores.clear();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Freezes a process with SIGSTOP at a moment it holds no write transaction on the
 * database (a process frozen inside one would block every writer, or hold the rows it
 * locked, which is not the scenario under test): stop, check, else resume and retry.
 */
export async function freeze(c: Child, store: TestStore): Promise<void> {
  for (let i = 0; i < 50; i++) {
    c.child.kill('SIGSTOP');
    if (await outsideTransactions(c, store)) return;
    c.child.kill('SIGCONT');
    await sleep(5 + i);
  }
  throw new Error(`could not freeze ${c.pid} outside a write transaction`);
}

async function outsideTransactions(c: Child, store: TestStore): Promise<boolean> {
  if (store.kind === 'sqlite') {
    // The write lock can be had: the stopped process holds none.
    const db = new DatabaseSync(store.path, { timeout: 200 });
    try {
      db.exec('BEGIN IMMEDIATE');
      db.exec('COMMIT');
      return true;
    } catch {
      return false;
    } finally {
      db.close();
    }
  }
  // No backend of the process is inside a transaction (so it holds no row lock), and
  // none changed state between two looks 20 ms apart: a statement the process sent just
  // before it stopped has been read by its backend by the second look.
  const look = () =>
    store.query<{ pid: number; tx: boolean; since: string }>(
      `SELECT pid, xact_start IS NOT NULL AS tx, state_change::text AS since
       FROM pg_stat_activity WHERE application_name = ? ORDER BY pid`,
      c.appName,
    );
  const first = await look();
  await sleep(20);
  const second = await look();
  return (
    second.length > 0 &&
    second.every((b) => !b.tx) &&
    JSON.stringify(first) === JSON.stringify(second)
  );
}
