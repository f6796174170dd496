/**
 * Child processes and temporary stores for the guarantee tests, with one teardown that
 * SIGKILLs every child still alive (stopped ones included) and removes every folder.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../support/helpers.ts';

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
}

const children = new Set<Child>();
const folders = new Set<string>();
process.on('exit', () => {
  for (const c of children) c.child.kill('SIGKILL');
});

/** Runs a .ts script of this folder on this Node, with optional Node flags. */
export function spawnSupport(script: string, args: string[] = [], nodeArgs: string[] = []): Child {
  const file = fileURLToPath(new URL(`./${script}`, import.meta.url));
  const child = spawn(process.execPath, [...nodeArgs, file, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
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

/** A worker process running the guarantee job types; `extra` turns on tracing or RSS reports. */
export function spawnWorkerProcess(
  url: string,
  workerOptions: Record<string, unknown> = {},
  extra: { trace?: boolean; rssEveryMs?: number; countCompletions?: boolean } = {},
  nodeArgs: string[] = [],
): Child {
  return spawnSupport(
    'worker.ts',
    [url, JSON.stringify(workerOptions), JSON.stringify(extra)],
    nodeArgs,
  );
}

/** A fresh folder with a store URL in it, removed by `teardown()`. */
export function tempStore(): { url: string; dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-guarantee-'));
  folders.add(dir);
  const path = join(dir, 'kiln.db');
  return { url: `sqlite:${path}`, dir, path };
}

/** SIGKILLs every child still running (SIGKILL also ends stopped ones), then removes the folders. */
export async function teardown(): Promise<void> {
  const alive = [...children];
  for (const c of alive) c.child.kill('SIGKILL');
  await Promise.all(alive.map((c) => c.closed));
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  folders.clear();
}

/**
 * Freezes a process with SIGSTOP at a moment it holds no write transaction on the
 * database (a process frozen inside one would block every writer, which is not the
 * scenario under test): stop, check that a write lock can be had, else resume and retry.
 */
export async function freeze(c: Child, dbPath: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    c.child.kill('SIGSTOP');
    const db = new DatabaseSync(dbPath, { timeout: 200 });
    try {
      db.exec('BEGIN IMMEDIATE');
      db.exec('COMMIT');
      return;
    } catch {
      c.child.kill('SIGCONT');
      await new Promise((r) => setTimeout(r, 5 + i));
    } finally {
      db.close();
    }
  }
  throw new Error(`could not freeze ${c.pid} outside a write transaction`);
}
