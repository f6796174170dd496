/** Plain-text renderings of jobs and batches for `status`, `list` and the actions. */
import type { Batch, Job } from '../../core/model.ts';
import { duration, jobLabel, usageText } from '../terminal-progress.ts';

const pct = (fraction: number) => `${Math.floor(Math.min(1, Math.max(0, fraction)) * 100)}%`;
const time = (d: Date | null) => (d === null ? '-' : d.toISOString());

/** One job, a field per line. */
export function jobDetails(job: Job): string {
  const progress = job.state === 'completed' ? 1 : job.progress;
  const lines: [string, string][] = [
    ['job', job.id],
    ['type', job.type],
    ...(job.name === null ? [] : [['name', job.name] as [string, string]]),
    ['state', job.state],
    ['progress', `${pct(progress)}${job.progressMessage ? ` (${job.progressMessage})` : ''}`],
    ['attempt', `${job.attempt} of ${job.maxAttempts}`],
    ...(job.batchId === null ? [] : [['batch', job.batchId] as [string, string]]),
    ['priority', String(job.priority)],
    ['created', time(job.createdAt)],
    ['run at', time(job.runAt)],
    ['started', time(job.startedAt)],
    ['finished', time(job.finishedAt)],
    ['usage', usageText(job.usage)],
  ];
  if (job.error)
    lines.push(['error', `${job.error.message}${job.error.code ? ` (${job.error.code})` : ''}`]);
  if (job.result !== null && job.result !== undefined)
    lines.push(['result', JSON.stringify(job.result)]);
  return fields(lines);
}

/** One batch with its aggregate. */
export function batchDetails(batch: Batch): string {
  const c = batch.counts;
  const timing =
    batch.startedAt && batch.finishedAt
      ? `took ${duration(+batch.finishedAt - +batch.startedAt)}`
      : batch.etaMs === null
        ? 'ETA unknown'
        : `ETA ${duration(batch.etaMs)}`;
  return fields([
    ['batch', batch.id],
    ['name', batch.name],
    ...(batch.template === null ? [] : [['template', batch.template] as [string, string]]),
    ['state', batch.state],
    ['progress', `${pct(batch.progress)}, ${timing}`],
    [
      'jobs',
      `${c.total} total: ${c.completed} completed, ${c.failed} failed, ${c.cancelled} cancelled, ` +
        `${c.running} running, ${c.pending} pending`,
    ],
    ['created', time(batch.createdAt)],
    ['started', time(batch.startedAt)],
    ['finished', time(batch.finishedAt)],
    ['usage', `${usageText(batch.usage)} · ${batch.usage.seconds.toFixed(1)} job-seconds`],
  ]);
}

/** One line: what an action left the job in. */
export const jobLine = (job: Job) => `job ${job.id} ${jobLabel(job)}: ${job.state}`;

export const batchLine = (b: Batch) =>
  `batch ${b.id} ${b.name}: ${b.state}, ${b.counts.completed}/${b.counts.total} completed` +
  (b.counts.failed > 0 ? `, ${b.counts.failed} failed` : '');

export function jobsTable(jobs: Job[]): string {
  return table(
    ['ID', 'TYPE', 'STATE', 'PROGRESS', 'ATTEMPT', 'NAME'],
    jobs.map((j) => [
      j.id,
      j.type,
      j.state,
      pct(j.state === 'completed' ? 1 : j.progress),
      String(j.attempt),
      j.name ?? '',
    ]),
  );
}

export function batchesTable(batches: Batch[]): string {
  return table(
    ['ID', 'NAME', 'STATE', 'PROGRESS', 'DONE', 'FAILED', 'CREATED'],
    batches.map((b) => [
      b.id,
      b.name,
      b.state,
      pct(b.progress),
      `${b.counts.completed}/${b.counts.total}`,
      String(b.counts.failed),
      b.createdAt.toISOString(),
    ]),
  );
}

function fields(lines: [string, string][]): string {
  const width = Math.max(...lines.map(([k]) => k.length));
  return `${lines.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`;
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[head, ...rows].map(line).join('\n')}\n`;
}
