#!/usr/bin/env -S node --max-semi-space-size=4
// A dedicated worker process caps V8's young generation at 4 MB: peak RSS 95 MB instead
// of 114 MB over a 20,000-job drain, at the same throughput (docs/PERFORMANCE.md, W6).
// `npm run kiln` passes the same flag; the bench's worker processes do too.
/**
 * The `kiln` command: `kiln worker`, a worker as a process of its own, for the
 * one-machine-many-processes and many-machines topologies; `kiln migrate` and
 * `kiln copy` (migrate.ts, copy.ts), to prepare a store and to grow from SQLite to
 * PostgreSQL. The full CLI (serve, submit, batch, watch, …) arrives with the server.
 *
 * Exit codes: 0 done (a worker: stopped by SIGTERM or SIGINT), 1 failure, 2 bad usage.
 */
import { extname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  type AnyJobDefinition,
  DEFAULT_STORE_URL,
  type Durability,
  Kiln,
  KilnError,
  suggestName,
  type TemplateDefinition,
} from '../src/index.ts';
import { parse, UsageError } from './cli.ts';
import { copy } from './copy.ts';
import { migrate } from './migrate.ts';

const HELP = `Usage: kiln <command> [options]

Commands:
  worker    Run jobs from a store until stopped (SIGTERM or SIGINT)
  migrate   Apply a store's pending schema migrations and print its version
  copy      Copy a whole store into another, empty one (e.g. SQLite to PostgreSQL)

Options:
  -h, --help    Show this help

Run \`kiln <command> --help\` for a command's options.
`;

const WORKER_HELP = `Usage: kiln worker [options]

Claims and runs jobs from a store until SIGTERM or SIGINT, then stops gracefully:
running jobs get a grace period to finish, the rest go back to pending for another
worker. Logs one JSON line per event to stderr.

Options:
  -s, --store <url>          Store URL (env KILN_STORE; default ${DEFAULT_STORE_URL})
  -j, --jobs <module>        Module whose exports include job definitions, alone or in
                             arrays (default: Kiln's demo jobs)
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

// `.ts` when run from source, `.js` from the build (dist/bin): this module's extension.
const DEMO_JOBS = new URL(
  `../src/demo/index${extname(fileURLToPath(import.meta.url))}`,
  import.meta.url,
).href;

function log(event: string, fields: Record<string, unknown> = {}, level = 'info'): void {
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), level, event, ...fields })}\n`,
  );
}

function positiveInteger(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`${name} must be a positive integer, got \`${raw}\``, 'worker');
  return n;
}

/** Every job definition (and template) a module exports, alone or in arrays. */
async function loadJobs(
  specifier: string | undefined,
): Promise<{ jobs: AnyJobDefinition[]; templates: TemplateDefinition[]; url: string }> {
  const url = specifier === undefined ? DEMO_JOBS : pathToFileURL(resolve(specifier)).href;
  let mod: Record<string, unknown>;
  try {
    mod = await import(url);
  } catch (error) {
    const what = specifier === undefined ? 'the demo jobs' : `--jobs ${specifier}`;
    const message = `cannot load ${what}: ${error instanceof Error ? error.message : error}`;
    // A wrong path is a usage error; a module that throws while loading is a failure.
    if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND')
      throw new UsageError(message, 'worker');
    throw new Error(message, { cause: error });
  }
  const jobs = new Map<string, AnyJobDefinition>();
  const templates = new Map<string, TemplateDefinition>();
  const add = (value: unknown) => {
    if (isKind<AnyJobDefinition>(value, 'kiln.job')) {
      const seen = jobs.get(value.type);
      if (seen && seen !== value)
        throw new UsageError(`${url} exports two job types named \`${value.type}\``, 'worker');
      jobs.set(value.type, value);
    } else if (isKind<TemplateDefinition>(value, 'kiln.template')) templates.set(value.name, value);
  };
  for (const value of Object.values(mod)) {
    if (Array.isArray(value)) value.forEach(add);
    else add(value);
  }
  if (jobs.size === 0)
    throw new UsageError(`${url} exports no job definitions (made with defineJob)`, 'worker');
  return { jobs: [...jobs.values()], templates: [...templates.values()], url };
}

/** Definitions are recognised by their `kind` tag, so two copies of Kiln still agree. */
function isKind<T>(value: unknown, kind: string): value is T {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === kind;
}

async function worker(args: string[]): Promise<void> {
  const { values } = parse('worker', args, WORKER_OPTIONS);
  if (values.help) {
    process.stdout.write(WORKER_HELP);
    return;
  }
  const store = values.store ?? process.env.KILN_STORE ?? DEFAULT_STORE_URL;
  const rawConcurrency = values.concurrency ?? process.env.KILN_CONCURRENCY;
  const concurrency =
    rawConcurrency === undefined ? 10 : positiveInteger('--concurrency', rawConcurrency);
  const durability = values.durability ?? process.env.KILN_DURABILITY ?? 'process-crash';
  if (durability !== 'process-crash' && durability !== 'power-loss') {
    throw new UsageError(
      `--durability is process-crash or power-loss, got \`${durability}\``,
      'worker',
    );
  }
  const { jobs, templates, url } = await loadJobs(values.jobs);
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
  const startedMs = new Map<string, number>();
  const key = (e: { id: string; attempt: number }) => `${e.id}:${e.attempt}`;
  const took = (e: { id: string; attempt: number }) => {
    const at = startedMs.get(key(e));
    startedMs.delete(key(e));
    return at === undefined ? {} : { durationMs: Date.now() - at };
  };
  w.events.on('job:start', (e) => {
    startedMs.set(key(e), Date.now());
    log('job:start', { jobId: e.id, type: e.type, attempt: e.attempt });
  });
  w.events.on('job:complete', (e) =>
    log('job:complete', { jobId: e.id, type: e.type, attempt: e.attempt, ...took(e) }),
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
    log('job:fail', fields, e.retrying ? 'warn' : 'error');
  });
  w.events.on('lease:lost', (f) => {
    startedMs.delete(key(f));
    log('lease:lost', { jobId: f.id, attempt: f.attempt }, 'warn');
  });
  w.events.on('job:stalled', (f) =>
    log('job:stalled', { jobId: f.id, attempt: f.attempt, retrying: f.retrying }, 'warn'),
  );
  w.events.on('prune', (p) => log('prune', p));
  w.events.on('error', ({ error }) =>
    log('error', { message: error instanceof Error ? error.message : String(error) }, 'error'),
  );
  log('worker:start', {
    worker: w.id,
    pid: process.pid,
    store,
    jobs: url,
    types: types ?? known,
    concurrency,
  });

  // The worker stops itself on the signal (handleSignals); we wait for it, then close.
  await new Promise<void>((done) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      log('worker:stopping', { worker: w.id, signal, running: w.running });
      done();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  await w.stop();
  await kiln.close();
  log('worker:stop', { worker: w.id });
}

/** The subcommand being run, to point error messages at its help. */
let current: string | undefined;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(HELP);
    return;
  }
  const commands: Record<string, (args: string[]) => Promise<void>> = { worker, migrate, copy };
  const run = Object.hasOwn(commands, command) ? commands[command] : undefined;
  if (run) {
    current = command;
    return run(rest);
  }
  const hint = suggestName(command, Object.keys(commands));
  throw new UsageError(
    `unknown command \`${command}\`${hint ? `, did you mean \`${hint}\`?` : ''}`,
  );
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError || (error instanceof KilnError && error.status === 400)) {
    const command = error instanceof UsageError ? (error.command ?? current) : current;
    const help = command ? `kiln ${command} --help` : 'kiln --help';
    process.stderr.write(`kiln: ${error.message}\nRun \`${help}\` for usage.\n`);
    process.exitCode = 2;
  } else if (error instanceof KilnError) {
    // Refused for what the store holds (not empty, jobs running, …): the message says why.
    process.stderr.write(`kiln: ${error.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(
      `kiln: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  }
});
