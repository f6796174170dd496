/**
 * Helpers for the library-behaviour tests: a Kiln on a fresh store (SQLite file or
 * PostgreSQL schema, test/support/stores.ts), closed (with its workers stopped quickly)
 * and removed after each test; waiting for a job's state;
 * collecting the change feed; and gates that let a test decide when a handler ends.
 */
import { afterEach } from 'vitest';
import {
  type ChangeEvent,
  type Job,
  Kiln,
  KilnError,
  type KilnOptions,
  type Worker,
  type WorkerOptions,
} from '../../src/index.ts';
import { waitFor } from './helpers.ts';
import { newTestStore, type StoreKind } from './stores.ts';

/** Fast, small worker settings for tests on a busy machine. */
export const FAST_WORKER: WorkerOptions = {
  concurrency: 5,
  leaseMs: 1_000,
  renewEveryMs: 300,
  leaseCheckEveryMs: 50,
  pruneEveryMs: 0,
  idlePollMs: 200,
};

export interface TestKiln {
  kiln: Kiln;
  /** Which store the test runs on. */
  kind: StoreKind;
  url: string;
  dir: string;
  /** Starts a worker with FAST_WORKER settings (overridable); stopped after the test. */
  work(options?: WorkerOptions): Worker;
}

/**
 * Registers an afterEach that closes every Kiln and removes every store the test made
 * (a PostgreSQL schema stays when the test failed: test/support/stores.ts).
 */
export function useKiln(): (options?: Omit<KilnOptions, 'store'>) => Promise<TestKiln> {
  const cleanups: ((failed: boolean) => Promise<void> | void)[] = [];
  afterEach(async (context) => {
    const failed = context.task.result?.state === 'fail';
    for (const c of cleanups.splice(0).reverse()) await c(failed);
  });
  return async (options = {}) => {
    const store = newTestStore();
    cleanups.push((failed) => store.cleanup(failed));
    const kiln = await Kiln.open({ store: store.url, ...options });
    const workers: Worker[] = [];
    cleanups.push(async () => {
      // A short grace: handlers a test left hanging are released, not waited for.
      await Promise.all(workers.map((w) => w.stop(50)));
      await kiln.close();
    });
    return {
      kiln,
      kind: store.kind,
      url: store.url,
      dir: store.dir,
      work(options = {}) {
        const worker = kiln.work({ ...FAST_WORKER, ...options });
        worker.events.on('error', ({ error }) => console.error('worker error', error));
        workers.push(worker);
        return worker;
      },
    };
  };
}

/** Waits until the job satisfies `check` (by default: reaches `state`), and returns it. */
export async function waitForJob(
  kiln: Kiln,
  id: string,
  check: Job['state'] | ((job: Job) => boolean),
  timeoutMs = 20_000,
): Promise<Job> {
  const test = typeof check === 'string' ? (j: Job) => j.state === check : check;
  let last: Job | null = null;
  return waitFor(
    async () => {
      last = await kiln.jobs.get(id);
      return last && test(last) ? last : null;
    },
    {
      timeoutMs,
      what: () =>
        `job ${id} (${typeof check === 'string' ? check : 'condition'}), last: ${JSON.stringify(last)}`,
    },
  );
}

/** Follows `kiln.watch(options)` until `until(events)` holds; throws after `timeoutMs`. */
export async function collectEvents(
  kiln: Kiln,
  options: Omit<Parameters<Kiln['watch']>[0] & object, 'signal'>,
  until: (events: ChangeEvent[]) => boolean,
  timeoutMs = 15_000,
): Promise<ChangeEvent[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const events: ChangeEvent[] = [];
  try {
    for await (const event of kiln.watch({ ...options, signal: controller.signal })) {
      events.push(event);
      if (until(events)) return events;
    }
  } finally {
    clearTimeout(timer);
  }
  throw new Error(`watch ended before the condition held; saw ${events.length} events`);
}

/** A promise a test resolves by hand: a handler awaits `gate.wait`, the test calls `open()`. */
export class Gates {
  private readonly gates = new Map<string, { promise: Promise<void>; open: () => void }>();

  private get(key: string) {
    let gate = this.gates.get(key);
    if (!gate) {
      let open!: () => void;
      const promise = new Promise<void>((resolve) => {
        open = resolve;
      });
      gate = { promise, open };
      this.gates.set(key, gate);
    }
    return gate;
  }

  /** Resolves when the test opens the gate, or rejects when the signal fires. */
  wait(key: string, signal?: AbortSignal): Promise<void> {
    const { promise } = this.get(key);
    if (!signal) return promise;
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      void promise.then(resolve);
    });
  }

  open(key: string): void {
    this.get(key).open();
  }
}

/** True while a process with this pid exists. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The KilnError a promise rejects with (anything else is rethrown; fulfilling fails). */
export async function rejection(promise: Promise<unknown>): Promise<KilnError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof KilnError) return error;
    throw error;
  }
  throw new Error('expected a KilnError');
}
