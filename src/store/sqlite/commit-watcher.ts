import { type FSWatcher, watch } from 'node:fs';
import { bellPath } from './commit-bell.ts';
import type { SqliteConnection } from './connection.ts';

/**
 * Learns that another process committed to the database, cheaply and promptly.
 *
 * `PRAGMA data_version` changes when another connection commits. Polling it every
 * millisecond costs a few percent of a core even when idle, so we watch a file instead:
 * the commit bell (commit-bell.ts), which every Kiln connection rings once a commit that
 * changed the feed is visible. Where the bell cannot be made (a folder this process may
 * not write), the WAL file stands in: a commit appends to it, but its first write can
 * come before the commit is visible, so each event is checked now and again shortly
 * after. A slow poll is the safety net for lost events (rows are the truth; an event is
 * a hint).
 */
export class CommitWatcher {
  private readonly connection: SqliteConnection;
  private readonly notify: () => void;
  private watcher: FSWatcher | undefined;
  private poll: NodeJS.Timeout | undefined;
  private recheck: NodeJS.Timeout | undefined;
  private lastVersion = -1;

  constructor(connection: SqliteConnection, notify: () => void, safetyPollMs = 100) {
    this.connection = connection;
    this.notify = notify;
    this.lastVersion = this.version();
    const bell = connection.bell.open();
    try {
      this.watcher = bell
        ? watch(bellPath(connection.path), { persistent: false }, () => this.check())
        : watch(`${connection.path}-wal`, { persistent: false }, () => this.onWalEvent());
      this.watcher.on('error', () => this.watcher?.close());
    } catch {
      // Nothing to watch (yet): the poll alone still delivers.
    }
    this.poll = setInterval(() => this.check(), safetyPollMs);
    this.poll.unref();
  }

  private version(): number {
    return (
      this.connection.get<{ data_version: number }>('PRAGMA data_version') ?? { data_version: 0 }
    ).data_version;
  }

  private onWalEvent(): void {
    this.check();
    if (this.recheck === undefined) {
      this.recheck = setTimeout(() => {
        this.recheck = undefined;
        this.check();
      }, 1);
    }
  }

  check(): void {
    let v: number;
    try {
      v = this.version();
    } catch {
      return; // closed
    }
    if (v !== this.lastVersion) {
      this.lastVersion = v;
      this.notify();
    }
  }

  close(): void {
    this.watcher?.close();
    clearInterval(this.poll);
    clearTimeout(this.recheck);
  }
}
