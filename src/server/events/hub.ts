import type { ChangeEvent } from '../../core/model.ts';
import { followFeedPages } from '../../feed/follow.ts';
import type { Store } from '../../store/store.ts';
import { Ring } from './ring.ts';

export interface HubOptions {
  /** Events held in memory for subscribers (default 10,000). */
  ringCapacity?: number;
  /** How often changed batches' aggregates are read and sent (default 200 ms). */
  aggregateEveryMs?: number;
}

/** What a subscriber wants: everything, one batch, or one job. */
export interface Interest {
  batchId?: string;
  jobId?: string;
}

/** One run of the follower: a ring that starts where this run started reading. */
interface Run {
  ring: Ring;
  /** The last feed position this run has read. */
  cursor: number;
  stop: AbortController;
}

/**
 * One follower of the whole change feed per server process, however many event-stream
 * clients there are: each change is read once, serialized once, and written to every
 * subscriber that wants it. Changes of a batch's jobs also mark the batch, whose
 * aggregate (counts, progress, ETA) is read at most every `aggregateEveryMs` and sent
 * as a `batch` event. The follower runs only while someone subscribes.
 */
export class FeedHub {
  private run: Run | undefined;
  private readonly interests = new Set<Interest>();
  private readonly waiters = new Set<() => void>();
  private readonly dirty = new Set<string>();
  private aggregateTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly capacity: number;
  private readonly aggregateEveryMs: number;
  /** Errors of the follower or of aggregate reads, for the server's log. */
  onError: (error: unknown) => void = () => {};

  readonly store: Store;

  constructor(store: Store, options: HubOptions = {}) {
    this.store = store;
    this.capacity = options.ringCapacity ?? 10_000;
    this.aggregateEveryMs = options.aggregateEveryMs ?? 200;
  }

  /** The ring of the current run, if the follower runs. */
  get ring(): Ring | undefined {
    return this.run?.ring;
  }

  /** The last feed position the follower read (undefined when it is not running). */
  get position(): number | undefined {
    return this.run?.cursor;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get subscriberCount(): number {
    return this.interests.size;
  }

  /** Registers a subscriber; the follower starts with the first. Returns its release. */
  async subscribe(interest: Interest): Promise<() => void> {
    this.interests.add(interest);
    if (!this.run && !this.closed) await this.start();
    return () => {
      this.interests.delete(interest);
      if (this.interests.size === 0) this.stopRun();
    };
  }

  /** Resolves when the ring gets new entries, or after `ms`. */
  waitForNews(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  close(): void {
    this.closed = true;
    this.stopRun();
    this.notify();
  }

  private async start(): Promise<void> {
    const startSeq = await this.store.currentSeq();
    if (this.run || this.closed) return;
    const run: Run = {
      ring: new Ring(this.capacity, startSeq),
      cursor: startSeq,
      stop: new AbortController(),
    };
    this.run = run;
    void this.follow(run);
  }

  private stopRun(): void {
    this.run?.stop.abort();
    this.run = undefined;
    clearTimeout(this.aggregateTimer);
    this.aggregateTimer = undefined;
    this.dirty.clear();
  }

  private async follow(run: Run): Promise<void> {
    const stopped = () => run.stop.signal.aborted;
    try {
      for await (const page of followFeedPages(
        this.store,
        {},
        run.cursor,
        stopped,
        run.stop.signal,
      )) {
        if (stopped()) return;
        this.publish(run, page);
      }
    } catch (error) {
      this.onError(error);
      // The feed stayed unreadable for a minute: subscribers fall back to the store
      // (and fail there, ending their streams) rather than wait on a dead follower.
      if (this.run === run) this.stopRun();
      this.notify();
    }
  }

  /** A whole page (never half a transaction) goes into the ring at once. */
  private publish(run: Run, page: ChangeEvent[]): void {
    for (const e of page) {
      if (e.kind === 'job') {
        run.ring.push({
          seq: e.seq,
          event: 'job',
          change: true,
          jobId: e.job.id,
          batchId: e.job.batchId,
          json: JSON.stringify(e.job),
        });
        if (e.job.batchId !== null) this.markDirty(e.job.batchId);
      } else {
        this.markDirty(e.batch.id);
      }
    }
    run.cursor = page[page.length - 1]!.seq;
    this.notify();
  }

  private markDirty(batchId: string): void {
    if (!this.wantsBatch(batchId)) return;
    this.dirty.add(batchId);
    this.aggregateTimer ??= setTimeout(() => void this.sendAggregates(), this.aggregateEveryMs);
  }

  private wantsBatch(batchId: string): boolean {
    for (const i of this.interests) {
      if (i.jobId === undefined && (i.batchId === undefined || i.batchId === batchId)) return true;
    }
    return false;
  }

  private async sendAggregates(): Promise<void> {
    const run = this.run;
    const ids = [...this.dirty];
    this.dirty.clear();
    try {
      for (const id of ids) {
        const batch = await this.store.getBatch(id);
        if (batch === null || this.run !== run || run === undefined) continue;
        run.ring.push({
          seq: run.cursor,
          event: 'batch',
          change: false,
          jobId: null,
          batchId: id,
          json: JSON.stringify(batch),
        });
      }
    } catch (error) {
      this.onError(error);
      for (const id of ids) this.dirty.add(id);
    } finally {
      this.aggregateTimer = undefined;
      if (this.dirty.size > 0 && this.run === run && run !== undefined) {
        this.aggregateTimer = setTimeout(() => void this.sendAggregates(), this.aggregateEveryMs);
      }
      this.notify();
    }
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }
}
