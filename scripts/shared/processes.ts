/**
 * The child processes of a chaos or fuzz run. Every child is registered here the moment
 * it is spawned, and SIGKILLed when this process exits for any reason (a normal end, a
 * failed check, Ctrl-C, an uncaught error): a run must never leave workers behind on a
 * shared machine. Each child gets a PGAPPNAME of its own so its PostgreSQL backends can
 * be found in pg_stat_activity (the chaos driver terminates them from there).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Proc {
  name: string;
  child: ChildProcess;
  pid: number;
  /** The application_name of its PostgreSQL connections. */
  appName: string;
  /** Resolves once the process has exited and its output is drained. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  /** Resolves with the first stdout or stderr line `match` accepts; rejects on exit or timeout. */
  waitLine(match: (line: string) => boolean, timeoutMs: number, what: string): Promise<string>;
  /** The last lines of stderr, for a report when something goes wrong. */
  tail(): string[];
  /** Lines on stdout so far (observers and the enqueuer report on stdout). */
  stdout: string[];
}

const live = new Set<Proc>();
process.on('exit', () => {
  for (const p of live) p.child.kill('SIGKILL');
});

let spawned = 0;
const TAIL = 40;

/** Runs `node <args>` (this Node, 24) with extra environment. */
export function spawnNode(
  name: string,
  appPrefix: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Proc {
  const appName = `${appPrefix}_${++spawned}`;
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env, PGAPPNAME: appName },
  });
  const stdout: string[] = [];
  const tail: string[] = [];
  const waiters = new Set<(line: string) => void>();
  const onLine = (line: string) => {
    for (const w of waiters) w(line);
  };
  createInterface({ input: child.stdout! }).on('line', (line) => {
    stdout.push(line);
    onLine(line);
  });
  createInterface({ input: child.stderr! }).on('line', (line) => {
    tail.push(line);
    if (tail.length > TAIL) tail.shift();
    onLine(line);
  });
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => {
      done = true;
      live.delete(proc);
      resolve({ code, signal });
    }),
  );
  const proc: Proc = {
    name,
    child,
    pid: child.pid!,
    appName,
    exited,
    alive: () => !done,
    stdout,
    tail: () => [...tail],
    waitLine(match, timeoutMs, what) {
      return new Promise((resolve, reject) => {
        const finish = (error: Error | null, line = '') => {
          clearTimeout(timer);
          waiters.delete(check);
          if (error) reject(error);
          else resolve(line);
        };
        const check = (line: string) => {
          if (match(line)) finish(null, line);
        };
        const timer = setTimeout(
          () => finish(new Error(`${name}: no ${what} within ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.add(check);
        for (const line of stdout) if (match(line)) return finish(null, line);
        void exited.then(({ code, signal }) =>
          finish(
            new Error(
              `${name} exited (${signal ?? code}) before ${what}:\n${tail.slice(-10).join('\n')}`,
            ),
          ),
        );
      });
    },
  };
  live.add(proc);
  return proc;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
export async function stop(p: Proc, graceMs = 5_000): Promise<void> {
  if (!p.alive()) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
}

/** SIGKILLs every child still running and waits for them to be gone. */
export async function killAll(): Promise<void> {
  const all = [...live];
  for (const p of all) p.child.kill('SIGKILL');
  await Promise.all(all.map((p) => p.exited));
}
