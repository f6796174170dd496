/**
 * A worker process for the guarantee tests:
 *   node worker.ts <storeUrl> <worker options JSON> [extra JSON]
 * Prints `{"ready":true,"pid":…,"id":…}` first, then, as asked by `extra`:
 * - trace: every fenced write attempt and its outcome as `{"trace":…}` lines (the store
 *   is wrapped, so the line reports what the store answered), and worker events;
 * - rssEveryMs: `{"rss":…,"heapUsed":…,"completed":…}` every so often (heap measured
 *   after a full GC when the process runs with --expose-gc);
 * - countCompletions: counts job:complete events for the rss lines;
 * - errors: the worker's errors as `{"error":message}` lines instead of on stderr.
 * Stops gracefully on SIGTERM.
 */
import { writeSync } from 'node:fs';
import { Kiln, openStore, type Store, type WorkerOptions } from '../../../src/index.ts';
import { guaranteeJobs } from './jobs.ts';

const [url, json, extraJson] = process.argv.slice(2);
const options = (json ? JSON.parse(json) : {}) as WorkerOptions;
const extra = (extraJson ? JSON.parse(extraJson) : {}) as {
  trace?: boolean;
  rssEveryMs?: number;
  errors?: boolean;
};

/** Synchronous, so a line printed is out before the next statement (and before a kill). */
const print = (value: unknown) => writeSync(1, `${JSON.stringify(value)}\n`);

const store: Store = openStore(url!);
if (extra.trace) {
  const turn = store.turn.bind(store);
  store.turn = async (input) => {
    // When the write began: a process frozen after a commit but before its trace line
    // prints that line on waking, and the line must not pass for a write made after it.
    const at = Date.now();
    const result = await turn(input);
    if (input.flushes.length > 0 || input.settles.length > 0) {
      print({
        trace: 'turn',
        at,
        flushes: input.flushes.map((f) => ({
          id: f.fence.id,
          attempt: f.fence.attempt,
          progress: f.progress,
          message: f.message,
        })),
        settles: input.settles.map((s, i) => ({
          id: s.fence.id,
          attempt: s.fence.attempt,
          kind: s.kind,
          ok: result.settled[i],
        })),
        lost: result.lostFences.map((f) => ({ id: f.id, attempt: f.attempt })),
      });
    }
    return result;
  };
  const writeArtifact = store.writeArtifact.bind(store);
  store.writeArtifact = async (fence, name, data, contentType) => {
    const at = Date.now();
    const ok = await writeArtifact(fence, name, data, contentType);
    print({ trace: 'artifact', at, id: fence.id, attempt: fence.attempt, name, ok });
    return ok;
  };
}

const kiln = await Kiln.open({ store, jobs: guaranteeJobs });
const worker = kiln.work({ concurrency: 10, ...options });
worker.events.on('error', ({ error }) => {
  if (extra.errors) print({ error: (error as Error).message });
  else console.error('worker error', error);
});
let completed = 0;
worker.events.on('job:complete', () => completed++);
if (extra.trace) {
  for (const event of [
    'job:start',
    'job:complete',
    'job:fail',
    'lease:lost',
    'job:stalled',
  ] as const)
    worker.events.on(event, (payload) => print({ event, ...payload }));
}
if (extra.rssEveryMs) {
  const gc = (globalThis as { gc?: () => void }).gc;
  setInterval(() => {
    gc?.();
    const m = process.memoryUsage();
    print({
      rss: m.rss,
      heapUsed: m.heapUsed,
      heapTotal: m.heapTotal,
      external: m.external,
      completed,
      running: worker.running,
    });
  }, extra.rssEveryMs);
}
process.once('SIGTERM', () => {
  void kiln.close().then(() => process.exit(0));
});
print({ ready: true, pid: process.pid, id: worker.id });
