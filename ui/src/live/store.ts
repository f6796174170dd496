/**
 * Jobs and batches by id, fed by the event stream and by API reads. A row older than the
 * one held (a lower `seq`) is ignored, so nothing on screen goes backwards (an API read
 * that raced an event, a resumed stream). Listeners are per key (`job:<id>`,
 * `batch:<id>`, `batches`, `batch-jobs:<id>`, `jobs`) and are called at most once per
 * animation frame: a 10,000-job batch re-renders only the rows whose job changed.
 */
import type { BatchBody, JobBody } from '../api/types.ts';
import { frameScheduler } from './frame.ts';

type Listener = () => void;

export class LiveStore {
  readonly jobs = new Map<string, JobBody>();
  readonly batches = new Map<string, BatchBody>();
  /** Job ids in the order first seen: what arrived after a moment, without a scan of all. */
  private readonly jobOrder: string[] = [];
  /** Job ids of each batch, in the order first seen. */
  private readonly batchJobs = new Map<string, string[]>();
  private readonly batchJobSet = new Map<string, Set<string>>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly dirty = new Set<string>();
  private readonly versions = new Map<string, number>();
  private readonly schedule: () => void;

  constructor(schedule?: (flush: () => void) => () => void) {
    this.schedule = (schedule ?? frameScheduler)(() => this.flush());
  }

  subscribe(key: string, listener: Listener): () => void {
    let set = this.listeners.get(key);
    if (!set) {
      set = new Set();
      this.listeners.set(key, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Changes each time `key` is flushed (for useSyncExternalStore snapshots). */
  version(key: string): number {
    return this.versions.get(key) ?? 0;
  }

  private touch(key: string): void {
    this.dirty.add(key);
    this.schedule();
  }

  /** Calls the listeners of every key changed since the last flush. */
  flush(): void {
    const keys = [...this.dirty];
    this.dirty.clear();
    for (const key of keys) {
      this.versions.set(key, (this.versions.get(key) ?? 0) + 1);
      for (const l of this.listeners.get(key) ?? []) l();
    }
  }

  /** Takes a job unless the one held is newer. Returns whether it was taken. */
  putJob(job: JobBody): boolean {
    const held = this.jobs.get(job.id);
    if (held && held.seq >= job.seq) return false;
    if (!held) this.jobOrder.push(job.id);
    this.jobs.set(job.id, job);
    this.touch(`job:${job.id}`);
    this.touch('jobs');
    if (job.batchId !== null) {
      let set = this.batchJobSet.get(job.batchId);
      if (!set) {
        set = new Set();
        this.batchJobSet.set(job.batchId, set);
        this.batchJobs.set(job.batchId, []);
      }
      if (!set.has(job.id)) {
        set.add(job.id);
        this.batchJobs.get(job.batchId)!.push(job.id);
        this.touch(`batch-jobs:${job.batchId}`);
      }
    }
    return true;
  }

  /**
   * Takes a batch unless the one held is newer. Aggregate events of one batch row share
   * its seq, so an equal seq is taken: the later aggregate wins.
   */
  putBatch(batch: BatchBody): boolean {
    const held = this.batches.get(batch.id);
    if (held && held.seq > batch.seq) return false;
    this.batches.set(batch.id, batch);
    this.touch(`batch:${batch.id}`);
    this.touch('batches');
    return true;
  }

  /** How many jobs the store has seen: a mark for `jobsSeenSince`. */
  jobsSeen(): number {
    return this.jobOrder.length;
  }

  /** Ids of the jobs first seen after the mark, oldest first. */
  jobsSeenSince(mark: number): readonly string[] {
    return this.jobOrder.slice(mark);
  }

  jobIdsOf(batchId: string): readonly string[] {
    return this.batchJobs.get(batchId) ?? [];
  }
}

export const store = new LiveStore();
