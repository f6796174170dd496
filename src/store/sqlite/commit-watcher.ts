import { type FSWatcher, watch } from 'node:fs';
import type { SqliteConnection } from './connection.ts';

/**
 * Learns that another process committed to the database, cheaply and promptly.
 *
 * `PRAGMA data_version` changes when another connection commits. Polling it every
 * millisecond costs a few percent of a core even when idle, so we watch the WAL file
 * instead: a commit appends to it. The watch event can arrive before the commit is
 * visible to us, so each event triggers a check now and one shortly after. A slow
 * poll is the safety net for lost events (rows are the truth; an event is a hint).
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
    try {
      this.watcher = watch(`${connection.path}-wal`, { persistent: false }, () => this.onEvent());
      this.watcher.on('error', () => this.watcher?.close());
    } catch {
      // No WAL file to watch (yet): the poll alone still delivers.
    }
    this.poll = setInterval(() => this.check(), safetyPollMs);
    this.poll.unref();
  }

  private version(): number {
    return (
      this.connection.get<{ data_version: number }>('PRAGMA data_version') ?? { data_version: 0 }
    ).data_version;
  }

  private onEvent(): void {
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
