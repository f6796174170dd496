import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { KilnError } from '../../src/core/errors.ts';

/** A fresh store URL in its own temporary folder; `cleanup()` removes the folder. */
export function tempStore(): { url: string; dir: string; path: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-test-'));
  const path = join(dir, 'kiln.db');
  return {
    url: `sqlite:${path}`,
    dir,
    path,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Retries `check` until it returns a truthy value (or stops throwing); never a fixed sleep.
 * `what` names the wait in the timeout's error: a function is asked then, so it can say
 * what the check saw last.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  {
    timeoutMs = 20_000,
    intervalMs = 10,
    what = 'condition',
  }: { timeoutMs?: number; intervalMs?: number; what?: string | (() => string) } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}; last: ${String(last)}`,
      );
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface SpawnedProcess {
  child: ChildProcess;
  pid: number;
  /** The first JSON line the process printed (the worker prints its id). */
  ready: Promise<Record<string, unknown>>;
  /** Resolves with the exit code or signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  lines: string[];
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** Spawns a .ts script on this Node (24) and collects its stdout lines. */
export function spawnScript(
  script: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): SpawnedProcess {
  const child = spawn(process.execPath, [script, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  live.add(child);
  const lines: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    }),
  );
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      lines.push(line);
      if (lines.length === 1) {
        try {
          resolve(JSON.parse(line) as Record<string, unknown>);
        } catch {
          reject(new Error(`first line is not JSON: ${line}`));
        }
      }
    });
    void exited.then(({ code, signal }) =>
      reject(new Error(`${script} exited (${signal ?? code}) before it was ready`)),
    );
  });
  ready.catch(() => {});
  return { child, pid: child.pid!, ready, exited, lines };
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs this Node (24) with `args` to the end and collects its output. The child is
 * killed if the test process exits first; `kill()` ends it sooner (a test's cleanup).
 */
export function runNode(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { done: Promise<Finished>; kill: () => void } {
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<Finished>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      live.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
  return { done, kill: () => child.kill('SIGKILL') };
}

const WORKER = fileURLToPath(new URL('./worker-process.ts', import.meta.url));

/** A worker process on `url` running the test job types. */
export function spawnWorker(url: string, options: Record<string, unknown> = {}): SpawnedProcess {
  return spawnScript(WORKER, [url, JSON.stringify(options)]);
}

export function supportFile(name: string): string {
  return fileURLToPath(new URL(`./${name}`, import.meta.url));
}

/** The code of the KilnError `fn` throws, 'not a KilnError' for another error, or undefined. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof KilnError ? error.code : 'not a KilnError';
  }
  return undefined;
}
