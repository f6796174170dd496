import type pg from 'pg';
import { loadDriver } from './connection.ts';
import { ident } from './sql.ts';

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;

/**
 * Hears other processes' commits: a connection of its own, outside the pool, that
 * LISTENs on the store's channel (every commit that changed the feed NOTIFYs it;
 * connection.ts). When the connection breaks (a restart of the database, a killed
 * backend), it connects again with backoff and then calls `notify` once, since commits
 * may have been missed meanwhile. A notice is a hint: the rows are the truth, and
 * followers poll as well.
 */
export class CommitListener {
  private readonly url: string;
  private readonly channel: string;
  private readonly notify: () => void;
  private client: pg.Client | undefined;
  private closed = false;
  private retryMs = RETRY_MIN_MS;
  private timer: NodeJS.Timeout | undefined;

  private readonly origin: string;

  /** Notices whose payload is `origin` come from this process and are skipped. */
  constructor(url: string, channel: string, origin: string, notify: () => void) {
    this.url = url;
    this.channel = channel;
    this.origin = origin;
    this.notify = notify;
    void this.connect(false);
  }

  private async connect(missed: boolean): Promise<void> {
    if (this.closed) return;
    const driver = await loadDriver();
    if (this.closed) return;
    const client = new driver.Client({ connectionString: this.url });
    this.client = client;
    let lost = false;
    const onLost = () => {
      if (lost) return;
      lost = true;
      client.end().catch(() => {});
      if (this.client === client) this.client = undefined;
      this.retryLater();
    };
    client.on('error', onLost);
    client.on('end', onLost);
    client.on('notification', (n) => {
      if (n.payload !== this.origin) this.notify();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${ident(this.channel)}`);
      if (this.closed) {
        await client.end();
        return;
      }
      this.retryMs = RETRY_MIN_MS;
      if (missed) this.notify();
    } catch {
      onLost();
    }
  }

  private retryLater(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.connect(true);
    }, this.retryMs);
    this.timer.unref();
    this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.client?.end().catch(() => {});
    this.client = undefined;
  }
}
