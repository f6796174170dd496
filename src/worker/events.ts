import type { StoredError } from '../core/errors.ts';

/** One attempt of a job, as events name it: the job, the attempt number, the worker that held it. */
export interface AttemptRef {
  id: string;
  attempt: number;
  owner: string;
}

/** What a worker reports as it goes, one line of doc per event. */
export interface WorkerEventMap {
  /** A handler started on a claimed attempt. */
  'job:start': { id: string; type: string; attempt: number };
  /** The attempt's completion was committed. */
  'job:complete': { id: string; type: string; attempt: number };
  /** The attempt failed; `retrying` says whether it was rescheduled. */
  'job:fail': { id: string; type: string; attempt: number; error: StoredError; retrying: boolean };
  /**
   * A turn committed the buffered progress (fraction, message, heartbeat, usage, logs) of
   * `count` attempts, one row write each; flushes that found their attempt gone are not counted.
   */
  'progress:flush': { count: number };
  /** The attempt lost its lease (cancelled, or reclaimed after a stall): nothing it writes counts. */
  'lease:lost': AttemptRef;
  /** A stalled attempt of another (dead or hung) worker was reclaimed. */
  'job:stalled': AttemptRef & { retrying: boolean };
  /** Retention removed finished jobs. */
  prune: { jobs: number; batches: number };
  /** An internal error the worker survived (the store was busy, a listener threw, …). */
  error: { error: unknown };
}

export type WorkerEvent = keyof WorkerEventMap;
export type WorkerListener<E extends WorkerEvent> = (payload: WorkerEventMap[E]) => void;

/** Event emitter whose listeners can never throw into the worker. */
export class WorkerEvents {
  private readonly listeners = new Map<WorkerEvent, Set<(payload: never) => void>>();

  on<E extends WorkerEvent>(event: E, listener: WorkerListener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as (payload: never) => void);
    return () => set.delete(listener as (payload: never) => void);
  }

  /** Lets hot paths skip building a payload nobody listens to. */
  listening(event: WorkerEvent): boolean {
    return (this.listeners.get(event)?.size ?? 0) > 0;
  }

  emit<E extends WorkerEvent>(event: E, payload: WorkerEventMap[E]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of set) {
      try {
        (listener as WorkerListener<E>)(payload);
      } catch (error) {
        if (event !== 'error') this.emit('error', { error });
      }
    }
  }
}
