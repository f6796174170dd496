/**
 * `npm start`: the embedded topology in one process. Opens the store (SQLite by
 * default), creates a batch from a demo template, runs a worker, and shows the batch's
 * live progress from the change feed until it ends. An unfinished demo batch of an
 * earlier run (Ctrl-C, kill -9) is picked up again instead: its jobs resume from their
 * checkpoints.
 *
 * Environment: KILN_STORE (store URL), KILN_PACE_MS (ms per step), KILN_TEMPLATE
 * (curriculum-grid or presentation-sample), KILN_CONCURRENCY (jobs at once).
 */
import { dirname } from 'node:path';
import { duration, jobLabel, TerminalProgress, usageText } from '../cli/terminal-progress.ts';
import { type Batch, DEFAULT_STORE_URL, type Job, Kiln, KilnError } from '../index.ts';
import { DEFAULT_PACE_MS, demoJobs, demoTemplates } from './index.ts';

interface Settings {
  store: string;
  paceMs: number | undefined;
  template: string;
  concurrency: number;
}

const FINISHED = new Set(['completed', 'failed', 'cancelled']);

function readSettings(env: NodeJS.ProcessEnv): Settings {
  const integer = (name: string, min: number, max: number): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new KilnError(
        'INVALID_ARGUMENT',
        `${name} must be an integer from ${min} to ${max}, got \`${raw}\``,
      );
    }
    return n;
  };
  const template = env.KILN_TEMPLATE || 'curriculum-grid';
  const names = demoTemplates.map((t) => t.name);
  if (!names.includes(template)) {
    throw new KilnError(
      'INVALID_ARGUMENT',
      `KILN_TEMPLATE must be one of ${names.join(', ')}, got \`${template}\``,
    );
  }
  return {
    store: env.KILN_STORE || DEFAULT_STORE_URL,
    paceMs: integer('KILN_PACE_MS', 0, 60_000),
    template,
    concurrency: integer('KILN_CONCURRENCY', 1, 1_000) ?? 3,
  };
}

/** Every job of the batch in creation (grid) order; ids are time-ordered UUIDv7s. */
async function batchJobs(kiln: Kiln, batchId: string): Promise<Job[]> {
  const jobs: Job[] = [];
  let cursor: string | null = null;
  do {
    const page = await kiln.jobs.list({ batchId, limit: 1_000, cursor });
    jobs.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return jobs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** A demo batch of this template that an earlier run left unfinished, if any. */
async function unfinishedBatch(kiln: Kiln, template: string): Promise<Batch | undefined> {
  const recent = await kiln.batches.list({ limit: 20 });
  return recent.items.find(
    (b) =>
      b.template === template &&
      b.metadata?.demo === true &&
      (b.state === 'pending' || b.state === 'running'),
  );
}

async function printSummary(kiln: Kiln, batch: Batch, jobs: Job[]): Promise<void> {
  const c = batch.counts;
  const took =
    batch.startedAt && batch.finishedAt
      ? ` in ${duration(+batch.finishedAt - +batch.startedAt)}`
      : '';
  const lines = [
    '',
    `Batch ${batch.name} ${batch.state}${took}: ${c.completed} completed, ${c.failed} failed, ${c.cancelled} cancelled.`,
    `Usage: ${usageText(batch.usage)} · ${batch.usage.seconds.toFixed(1)} job-seconds`,
  ];
  // Every job's folder sits in one parent folder (the embedded store's artifacts folder).
  const first = jobs[0] ? kiln.artifacts.path(jobs[0].id) : null;
  const dir = first === null ? null : dirname(first);
  const withFiles: string[] = [];
  const nameWidth = Math.min(28, Math.max(0, ...jobs.map((j) => jobLabel(j).length)));
  for (const job of jobs) {
    const files = (await kiln.artifacts.list(job.id)).map((f) => f.name);
    if (files.length === 0) continue;
    const names =
      files.length === 1
        ? files[0]
        : files.length <= 3
          ? `{${files.join(',')}}`
          : `{${files.slice(0, 2).join(',')},…} (${files.length} files)`;
    withFiles.push(`  ${jobLabel(job).padEnd(nameWidth)}  ${job.id}/${names}`);
  }
  if (withFiles.length > 0) {
    const retention = [...new Set(jobs.map((j) => duration(j.retentionMs)))].join(' or ');
    const where = dir ? ` under ${dir}/` : ' (read them with kiln.artifacts.read)';
    lines.push(`Artifacts${where}, deleted ${retention} after their job ends:`);
    lines.push(...withFiles.slice(0, 12));
    if (withFiles.length > 12) lines.push(`  … and ${withFiles.length - 12} more`);
  }
  const failed = jobs.filter((j) => j.state === 'failed');
  if (failed.length > 0) {
    lines.push('Failed:');
    for (const j of failed) lines.push(`  ${jobLabel(j)}: ${j.error?.message ?? 'unknown error'}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

async function main(): Promise<void> {
  const settings = readSettings(process.env);
  const kiln = await Kiln.open({ store: settings.store, jobs: demoJobs, templates: demoTemplates });
  let batch = await unfinishedBatch(kiln, settings.template);
  const resumed = batch !== undefined;
  batch ??= await kiln.batches.create({
    template: settings.template,
    metadata: { demo: true },
    ...(settings.paceMs === undefined ? {} : { params: { paceMs: settings.paceMs } }),
  });
  const batchId = batch.id;

  const worker = kiln.work({ concurrency: settings.concurrency });
  const workerErrors: unknown[] = [];
  worker.events.on('error', ({ error }) => workerErrors.push(error));

  const pace = resumed ? '' : `, ${settings.paceMs ?? DEFAULT_PACE_MS} ms per step`;
  process.stdout.write(
    `Kiln demo: ${resumed ? 'resuming the unfinished' : 'new'} batch ${batch.name} (${plural(batch.counts.total, 'job')}) ` +
      `on ${settings.store}, ${settings.concurrency} at a time${pace}. Ctrl-C stops.\n\n`,
  );

  const progress = new TerminalProgress(process.stdout);
  for (const job of await batchJobs(kiln, batchId)) progress.updateJob(job);
  progress.updateBatch(batch);

  // Settles when the batch ends (with its final figures) or a signal asks to stop (null).
  let settle!: (end: Batch | null) => void;
  const ended = new Promise<Batch | null>((r) => (settle = r));

  // Batch figures (counts, ETA, usage) are read at most every 100 ms, however busy the feed.
  let refreshTimer: NodeJS.Timeout | undefined;
  const refresh = async (): Promise<void> => {
    const latest = await kiln.batches.get(batchId);
    if (!latest) return settle(null);
    progress.updateBatch(latest);
    if (FINISHED.has(latest.state)) settle(latest);
  };
  const refreshSoon = () => {
    refreshTimer ??= setTimeout(() => {
      refreshTimer = undefined;
      refresh().catch((error: unknown) => workerErrors.push(error));
    }, 100);
  };
  // The ETA moves even when no job changes; this timer also keeps the process alive.
  const ticker = setInterval(refreshSoon, 500);

  const feed = new AbortController();
  const watching = (async () => {
    for await (const event of kiln.watch({ batchId, from: 'start', signal: feed.signal })) {
      if (event.kind === 'job') progress.updateJob(event.job);
      refreshSoon();
    }
  })();

  const onSignal = () => settle(null);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const end = await ended;
  clearInterval(ticker);
  clearTimeout(refreshTimer);
  feed.abort();
  await watching;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);

  if (end === null) {
    progress.stop();
    process.stdout.write(
      '\nStopping: running jobs go back to pending and resume from their checkpoints on the next `npm start`.\n',
    );
    // No grace: release running attempts at once (a second Ctrl-C kills the process).
    await worker.stop(0);
    await kiln.close();
    return;
  }
  const jobs = await batchJobs(kiln, batchId);
  for (const job of jobs) progress.updateJob(job);
  progress.updateBatch(end);
  progress.stop();
  await printSummary(kiln, end, jobs);
  if (workerErrors.length > 0) {
    process.stdout.write(
      `The worker survived ${workerErrors.length} internal error(s); first: ${String(workerErrors[0])}\n`,
    );
  }
  await kiln.close();
}

main().catch((error: unknown) => {
  const usage = error instanceof KilnError && error.status < 500;
  process.stderr.write(`kiln demo: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = usage ? 2 : 1;
});
