import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Worker ids name where the worker runs: `<host>/<pid namespace>/<pid>/<random>`.
 *
 * A lease says "I am alive" only as often as it is renewed, so a crashed worker's jobs
 * wait out the rest of its lease. But a worker on the same host, in the same PID
 * namespace, can ask the kernel directly: if that process is gone, its leases can be
 * expired at once. A reused pid only makes a dead worker look alive (we then wait for
 * the lease, as without this check); a live worker can never look dead.
 */
const HOST = hostname();
const PID_NAMESPACE = readPidNamespace();

function readPidNamespace(): string {
  try {
    return readlinkSync('/proc/self/ns/pid').replace(/\D/g, '') || 'none';
  } catch {
    return 'none'; // no /proc (macOS, Windows): the host name alone must match
  }
}

export function newWorkerId(random: string): string {
  return `${HOST}/${PID_NAMESPACE}/${process.pid}/${random}`;
}

/** True only if `owner` is a worker of this host and PID namespace whose process is gone. */
export function isDeadLocalWorker(owner: string): boolean {
  const parts = owner.split('/');
  if (parts.length !== 4 || parts[0] !== HOST || parts[1] !== PID_NAMESPACE) return false;
  const pid = Number(parts[2]);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    // EPERM: the process exists but is not ours to signal, so it is alive.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
