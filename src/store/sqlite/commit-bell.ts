import { closeSync, constants, openSync, writeSync } from 'node:fs';

const BYTE = new Uint8Array(1);

/** The bell file of a database: `<path>-bell`, beside SQLite's `-wal` and `-shm`. */
export function bellPath(databasePath: string): string {
  return `${databasePath}-bell`;
}

/**
 * Tells other processes that a commit changed the feed, once it is visible: after each
 * such commit the connection writes one byte into the bell file, and their commit
 * watchers (commit-watcher.ts) watch that file.
 *
 * The WAL file alone made a poor signal: its first write of a commit wakes a watcher
 * before the commit is visible, so the watcher had to look again later, and a commit of
 * many pages woke it several times. The bell rings once, after the commit. Ringing
 * costs one `pwrite` of one byte at offset 0 (the file never grows).
 */
export class CommitBell {
  private readonly path: string;
  private fd: number | undefined;
  private broken = false;

  constructor(databasePath: string) {
    this.path = bellPath(databasePath);
  }

  /** Creates the file if needed; false when it cannot be (watchers then poll). */
  open(): boolean {
    if (this.fd !== undefined) return true;
    if (this.broken) return false;
    try {
      this.fd = openSync(this.path, constants.O_WRONLY | constants.O_CREAT, 0o644);
      return true;
    } catch {
      this.broken = true;
      return false;
    }
  }

  ring(): void {
    if (!this.open()) return;
    try {
      writeSync(this.fd!, BYTE, 0, 1, 0);
    } catch {
      // A hint only: watchers still poll. Stop trying rather than fail every commit.
      this.close();
      this.broken = true;
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    this.fd = undefined;
  }
}
