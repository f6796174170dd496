/**
 * `kiln worker`: a worker as a process of its own, for the one-machine-many-processes
 * and many-machines topologies. Also the worker event log that `kiln serve` shares.
 */

import { DEFAULT_STORE_URL, type Durability, Kiln, redactStoreUrl, type Worker } from '../index.ts';
import { jsonLogger, type Logger } from '../server/deps.ts';
import { startScheduler } from '../services/index.ts';
import { loadJobs, positiveInteger } from './load-jobs.ts';
import { parse, UsageError } from './usage.ts';

export const WORKER_HELP = `Usage: kiln worker [options]

Claims and runs jobs from a store until SIGTERM or SIGINT, then stops gracefully:
running jobs get a grace period to finish, the rest go back to pending for another
worker. Also creates the batches of scheduled templates (each tick once, whatever the
number of processes). Logs one JSON line per event to stderr.

Options:
  -s, --store <url>          Store URL (env KILN_STORE; default ${DEFAULT_STORE_URL})
  -j, --jobs <module>        Module whose exports include job definitions, alone or in
                             arrays (env KILN_JOBS; default: Kiln's demo jobs)
  -c, --concurrency <n>      Jobs run at once (env KILN_CONCURRENCY; default 10)
  -t, --types <a,b>          Run only these job types (default: every type found)
      --durability <mode>    process-crash (default) or power-loss (env KILN_DURABILITY)
  -h, --help                 Show this help
`;

const WORKER_OPTIONS = {
  store: { type: 'string', short: 's' },
  jobs: { type: 'string', short: 'j' },
  concurrency: { type: 'string', short: 'c' },
  types: { type: 'string', short: 't' },
  durability: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** One log line per job start, end, failure, lost lease, stall, prune and worker error. */
export function logWorkerEvents(w: Worker, log: Logger): void {
  const startedMs = new Map<string, number>();
  const key = (e: { id: string; attempt: number }) => `${e.id}:${e.attempt}`;
  const took = (e: { id: string; attempt: number }) => {
    const at = startedMs.get(key(e));
    startedMs.delete(key(e));
    return at === undefined ? {} : { durationMs: Date.now() - at };
  };
  w.events.on('job:start', (e) => {
    startedMs.set(key(e), Date.now());
    log('info', 'job:start', { jobId: e.id, type: e.type, attempt: e.attempt });
  });
  w.events.on('job:complete', (e) =>
    log('info', 'job:complete', { jobId: e.id, type: e.type, attempt: e.attempt, ...took(e) }),
  );
  w.events.on('job:fail', (e) => {
    const error = { message: e.error.message, ...(e.error.code ? { code: e.error.code } : {}) };
    const fields = {
      jobId: e.id,
      type: e.type,
      attempt: e.attempt,
      retrying: e.retrying,
      error,
      ...took(e),
    };
    log(e.retrying ? 'warn' : 'error', 'job:fail', fields);
  });
  w.events.on('lease:lost', (f) => {
    startedMs.delete(key(f));
    log('warn', 'lease:lost', { jobId: f.id, attempt: f.attempt });
  });
  w.events.on('job:stalled', (f) =>
    log('warn', 'job:stalled', { jobId: f.id, attempt: f.attempt, retrying: f.retrying }),
  );
  w.events.on('prune', (p) => log('info', 'prune', p));
  w.events.on('error', ({ error }) =>
    log('error', 'error', { message: error instanceof Error ? error.message : String(error) }),
  );
}

/** Resolves with the first SIGTERM or SIGINT, and stops listening for them. */
export function nextStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((done) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      done(signal);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

export async function worker(args: string[]): Promise<void> {
  const { values } = parse('worker', args, WORKER_OPTIONS);
  if (values.help) {
    process.stdout.write(WORKER_HELP);
    return;
  }
  const log = jsonLogger();
  const store = values.store ?? process.env.KILN_STORE ?? DEFAULT_STORE_URL;
  const rawConcurrency = values.concurrency ?? process.env.KILN_CONCURRENCY;
  const concurrency =
    rawConcurrency === undefined ? 10 : positiveInteger('--concurrency', rawConcurrency, 'worker');
  const durability = values.durability ?? process.env.KILN_DURABILITY ?? 'process-crash';
  if (durability !== 'process-crash' && durability !== 'power-loss') {
    throw new UsageError(
      `--durability is process-crash or power-loss, got \`${durability}\``,
      'worker',
    );
  }
  const { jobs, templates, url } = await loadJobs(values.jobs ?? process.env.KILN_JOBS, 'worker');
  const known = jobs.map((j) => j.type);
  const types = values.types
    ?.split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
  for (const t of types ?? []) {
    if (!known.includes(t)) {
      throw new UsageError(
        `--types: no job type \`${t}\` in ${url}; known: ${known.join(', ')}`,
        'worker',
      );
    }
  }

  const kiln = await Kiln.open({ store, jobs, templates, durability: durability as Durability });
  const w = kiln.work({ concurrency, handleSignals: true, ...(types ? { types } : {}) });
  logWorkerEvents(w, log);
  // Scheduled templates tick from any process; each tick makes its batch once (src/schedules).
  const scheduler = startScheduler({ kiln, log });
  log('info', 'worker:start', {
    worker: w.id,
    pid: process.pid,
    store: redactStoreUrl(store),
    jobs: url,
    types: types ?? known,
    concurrency,
  });

  // The worker stops itself on the signal (handleSignals); we wait for it, then close.
  const signal = await nextStopSignal();
  log('info', 'worker:stopping', { worker: w.id, signal, running: w.running });
  await Promise.all([w.stop(), scheduler.stop()]);
  await kiln.close();
  log('info', 'worker:stop', { worker: w.id });
}
