/**
 * A PostgreSQL server of a test's own, for what must not happen to the shared one (a
 * restart): `initdb` in a temporary folder, trust auth, listening on a free loopback
 * port, without fsync; `destroy()` stops it and removes the folder. initdb and postgres
 * refuse to run as root, so as root they run as the `postgres` user (runuser). Every
 * command is bounded in time.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SUPERUSER = 'kiln';

export interface TempCluster {
  /** postgres://kiln@127.0.0.1:<port>/postgres */
  url: string;
  /** Stops the server (fast shutdown: every connection is closed). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server at once and removes its folder (kept, for a look, when `keep`). */
  destroy(keep?: boolean): Promise<void>;
}

/** The newest installed server's binaries (Debian's layout), else pg_config's. */
function binDir(): string {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], 'bin');
  }
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      `a server of the test's own needs PostgreSQL's server programs (initdb, pg_ctl): none in ${root}/*/bin, and no pg_config`,
    );
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startTempCluster(): Promise<TempCluster> {
  const bin = binDir();
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'kiln-pg-'));
  if (asRoot) {
    const id = (flag: string) =>
      Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }));
    chownSync(dir, id('-u'), id('-g'));
  }
  const data = join(dir, 'data');
  // As root, through runuser: the file to run and its arguments.
  const command = (tool: string, args: string[]): [string, string[]] =>
    asRoot
      ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]]
      : [join(bin, tool), args];
  const pg = (tool: string, args: string[], timeoutMs = 60_000) =>
    run(...command(tool, args), { timeout: timeoutMs });
  const port = await freePort();
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
  ].join(' ');
  // Should this process end before destroy() (a test run cut short), the server and its
  // folder must not outlive it.
  const stopOnExit = () => {
    try {
      execFileSync(...command('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']), {
        timeout: 10_000,
        stdio: 'ignore',
      });
    } catch {
      // not running
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stopOnExit);
  const cluster: TempCluster = {
    url: `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await pg('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop'], 40_000);
    },
    start: async () => {
      const log = join(dir, 'server.log');
      await pg('pg_ctl', ['-D', data, '-l', log, '-o', options, '-w', '-t', '30', 'start'], 40_000);
    },
    destroy: async (keep = false) => {
      process.off('exit', stopOnExit);
      await pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '20', 'stop'], 30_000).catch(
        () => {},
      );
      if (keep) console.warn(`kept the test's PostgreSQL data folder ${data}`);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await pg('initdb', ['-D', data, '-A', 'trust', '-U', SUPERUSER, '-E', 'UTF8', '--no-sync']);
    await cluster.start();
  } catch (error) {
    await cluster.destroy();
    throw error;
  }
  return cluster;
}
