/** What a bench result records about the machine and the code it ran (run.ts, peers.ts). */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** A git command's output in the repository, or null where git is missing or fails. */
export function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
}

export function machineInfo(): Record<string, unknown> {
  const cpus = os.cpus();
  const status = git(['status', '--porcelain', '--', 'src']);
  return {
    cpus: cpus.length,
    availableParallelism: os.availableParallelism(),
    cpuModel: cpus[0]?.model ?? null,
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    gitCommit: git(['rev-parse', 'HEAD']),
    srcUncommittedChanges: status === null ? null : status.length > 0,
    // The bench runs from the working tree: what in src/ differed from the commit, if anything.
    srcUncommittedFiles: status ? status.split('\n').map((l) => l.trim()) : [],
    loadAverage1m: Math.round(os.loadavg()[0]! * 100) / 100,
  };
}
