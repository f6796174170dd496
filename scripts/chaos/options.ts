/** The command line of `npm run chaos`, with its defaults. */
import { parseArgs } from 'node:util';

export interface ChaosOptions {
  store: 'sqlite' | 'postgres';
  seconds: number;
  seed: number;
  jobs: number;
  workers: number;
  concurrency: number;
  observers: number;
  /** Mean run time of a job's attempt; by default sized so the batch takes about the chaos period. */
  meanMs: number;
  /** Pause between two single enqueues. */
  enqueueEveryMs: number;
  /** Longest wait for every job to end after the chaos period. */
  settleSeconds: number;
  out: string | undefined;
  /** Keep the store (SQLite folder, PostgreSQL schema) for a look afterwards. */
  keep: boolean;
}

export const USAGE = `Usage: npm run chaos -- [options]

Runs a batch of jobs on four \`kiln worker\` processes and a \`kiln serve\`, SIGKILLs
workers and the server on a schedule drawn from the seed (on PostgreSQL also terminates
backends), follows the event stream from observer processes, then checks the guarantees
and prints a summary. Exits 1 if any check fails.

Options:
  --store sqlite|postgres  default sqlite (PostgreSQL: KILN_TEST_PG_URL, default
                           postgres://root@127.0.0.1:5432/test, a schema of its own)
  --seconds <n>            chaos period, default 60
  --seed <n>               default 1
  --jobs <n>               jobs in the batch, default 10000
  --workers <n>            default 4
  --concurrency <n>        jobs per worker at once, default 10
  --observers <n>          default 2
  --mean-ms <n>            mean attempt time (default: sized to the period)
  --enqueue-every-ms <n>   pause between single enqueues, default 100
  --settle-seconds <n>     longest wait for every job to end, default 180
  --out <file.json>        also write the summary as JSON
  --keep                   keep the store afterwards
`;

function int(name: string, raw: string | undefined, fallback: number, min = 1): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`--${name} must be an integer >= ${min}, got ${raw}`);
  return n;
}

export function parseOptions(args: string[]): ChaosOptions | 'help' {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      store: { type: 'string' },
      seconds: { type: 'string' },
      seed: { type: 'string' },
      jobs: { type: 'string' },
      workers: { type: 'string' },
      concurrency: { type: 'string' },
      observers: { type: 'string' },
      'mean-ms': { type: 'string' },
      'enqueue-every-ms': { type: 'string' },
      'settle-seconds': { type: 'string' },
      out: { type: 'string' },
      keep: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const store = values.store ?? 'sqlite';
  if (store !== 'sqlite' && store !== 'postgres')
    throw new Error(`--store is sqlite or postgres, got ${store}`);
  const seconds = int('seconds', values.seconds, 60);
  const jobs = int('jobs', values.jobs, 10_000);
  const workers = int('workers', values.workers, 4);
  const concurrency = int('concurrency', values.concurrency, 10);
  // The batch alone would keep every slot busy for about 60 % of the period, so the
  // workers are at work whenever the driver kills one, and the run can settle.
  const sized = Math.round((0.6 * seconds * 1000 * workers * concurrency) / jobs);
  return {
    store,
    seconds,
    seed: int('seed', values.seed, 1, 0),
    jobs,
    workers,
    concurrency,
    observers: int('observers', values.observers, 2),
    meanMs: int('mean-ms', values['mean-ms'], Math.min(5_000, Math.max(20, sized))),
    enqueueEveryMs: int('enqueue-every-ms', values['enqueue-every-ms'], 100),
    settleSeconds: int('settle-seconds', values['settle-seconds'], 180),
    out: values.out,
    keep: values.keep ?? false,
  };
}
