/**
 * The CLI against a real server: Kiln on a temporary SQLite store with the demo and the
 * test job types, a worker in this process, the HTTP API on 127.0.0.1 (port 0), and
 * `kiln` run as a child process of this Node.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { demoJobs, demoTemplates } from '../../src/demo/index.ts';
import { Kiln, type Worker } from '../../src/index.ts';
import { type RunningServer, startServer } from '../../src/server/server.ts';
import { type Finished, runNode, tempStore } from '../support/helpers.ts';
import { testJobs } from '../support/test-jobs.ts';

export const KILN_BIN = fileURLToPath(new URL('../../bin/kiln.ts', import.meta.url));

export interface CliServer {
  url: string;
  kiln: Kiln;
  server: RunningServer;
  worker: Worker | undefined;
  close(): Promise<void>;
}

export async function cliServer(
  options: { token?: string; worker?: boolean; concurrency?: number } = {},
): Promise<CliServer> {
  const store = tempStore();
  const kiln = await Kiln.open({
    store: store.url,
    jobs: [...demoJobs, ...testJobs],
    templates: demoTemplates,
  });
  const worker =
    options.worker === false ? undefined : kiln.work({ concurrency: options.concurrency ?? 8 });
  const server = await startServer({
    kiln,
    port: 0,
    log: () => {},
    drainMs: 1_000,
    ...(options.token === undefined ? {} : { token: options.token }),
    ...(worker === undefined ? {} : { worker }),
  });
  const running: CliServer = {
    url: server.url,
    kiln,
    server,
    worker,
    // The server a test may have replaced (a restart on the same port), not the first.
    close: async () => {
      await running.server.close();
      await kiln.close();
      store.cleanup();
    },
  };
  return running;
}

/** The environment a `kiln` child gets: this server, no token or colour from outside. */
function cliEnv(url: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { KILN_URL: url, KILN_TOKEN: '', NO_COLOR: '1', ...env };
}

/** Runs `kiln <args>` against `url` to the end (stdout piped: not a TTY). */
export function kiln(url: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Finished> {
  return runNode([KILN_BIN, ...args], cliEnv(url, env)).done;
}

/**
 * `kiln <args>` started with a pseudo-terminal for its stdout and stderr (util-linux
 * `script`); its output (the terminal's, ANSI sequences and all) readable as it runs.
 */
export function kilnInTerminal(
  url: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { output(): string; done: Promise<{ code: number | null; output: string }> } {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, KILN_BIN, ...args].map(quote).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...cliEnv(url, env), NO_COLOR: '', TERM: 'xterm' },
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    output += d.toString();
  });
  process.once('exit', () => child.kill('SIGKILL'));
  const done = new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
  return { output: () => output, done };
}

/** Every JSON line of an NDJSON output. */
export function ndjson(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export interface RunningCli {
  /** Everything written to stdout so far. */
  stdout(): string;
  stderr(): string;
  kill(signal: NodeJS.Signals): void;
  done: Promise<Finished>;
}

/** `kiln <args>` started and left running: its output can be read while it runs. */
export function startKiln(url: string, args: string[], env: NodeJS.ProcessEnv = {}): RunningCli {
  const child = spawn(process.execPath, [KILN_BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...cliEnv(url, env) },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<Finished>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
  process.once('exit', () => child.kill('SIGKILL'));
  return { stdout: () => stdout, stderr: () => stderr, kill: (sig) => child.kill(sig), done };
}
