/**
 * Runs one CLI case: `node bin/kiln.ts <args>` in a folder of its own (holding the
 * files `--file` names, and where `export` writes), with its placeholders filled in.
 * A `watch` follows jobs no worker will run, so it gets Ctrl-C (SIGINT) after a
 * moment, as a user would give it; any command still running at the deadline is a
 * hang and is SIGKILLed.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliRun } from './check.ts';
import { CLI_FILES, type CliCase } from './cli-cases.ts';
import type { Pools } from './http-send.ts';

const KILN = fileURLToPath(new URL('../../bin/kiln.ts', import.meta.url));
const WATCH_FOR_MS = 1_500;
/** Every case still running dies with the fuzzer, whatever ends it. */
const running = new Set<ReturnType<typeof spawn>>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
const DEADLINE_MS = 20_000;

/** A folder under `parent` with the case files in it. */
export function caseFolder(parent: string): string {
  const dir = mkdtempSync(join(parent, 'cli-'));
  for (const [name, content] of Object.entries(CLI_FILES)) writeFileSync(join(dir, name), content);
  mkdirSync(join(dir, 'sub'));
  return dir;
}

export interface Filled {
  args: string[];
  env: NodeJS.ProcessEnv;
}

export function fill(c: CliCase, url: string, token: string, pools: Pools, n: number): Filled {
  const put = (a: string) =>
    a
      .replaceAll('{url}', url)
      .replaceAll('{token}', token)
      .replaceAll('{job}', pools.pick('job', n))
      .replaceAll('{batch}', pools.pick('batch', n))
      .replaceAll('{template}', pools.pick('template', n));
  const env: NodeJS.ProcessEnv = { NO_COLOR: '1' };
  if (c.envUrl !== 'unset') env.KILN_URL = c.envUrl === 'right' ? url : 'http://127.0.0.1:1';
  if (c.envToken !== 'unset') env.KILN_TOKEN = c.envToken === 'right' ? token : 'wrong-token';
  return { args: c.args.map(put), env };
}

export function runCli(f: Filled, cwd: string): Promise<CliRun> {
  // The case's own environment only: no KILN_* of the caller leaks in.
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('KILN_')),
  );
  const child = spawn(process.execPath, [KILN, ...f.args], {
    cwd,
    env: { ...base, ...f.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  running.add(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    if (stderr.length < 64 * 1024) stderr += d.toString();
  });
  let interrupted = false;
  let killed = false;
  const timers: NodeJS.Timeout[] = [];
  if (f.args[0] === 'watch')
    timers.push(
      setTimeout(() => {
        interrupted = true;
        child.kill('SIGINT');
      }, WATCH_FOR_MS),
    );
  timers.push(
    setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, DEADLINE_MS),
  );
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      running.delete(child);
      for (const t of timers) clearTimeout(t);
      resolve({ code, signal, stderr, interrupted, killed });
    });
  });
}
