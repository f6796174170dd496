/** `kiln copy <from> <to>`: a whole store into another, empty one (src/copy/copy.ts). */
import { type CopyResult, copyStore, redactStoreUrl } from '../index.ts';
import { CopyProgressPrinter, formatBytes } from './copy-progress.ts';
import { parse, UsageError } from './usage.ts';

export const COPY_HELP = `Usage: kiln copy <from> <to>

Copies a whole Kiln store into another, empty one: templates, batches, jobs with every
column (state, attempts, leases, progress, results, errors, usage, times) and params,
logs, and artifacts with their bytes. Above all from SQLite to PostgreSQL:

  kiln copy sqlite:.kiln/kiln.db 'postgres://user@host:5432/db?schema=kiln'

Stop the source's workers and producers first. The source is read from one snapshot,
in chunks; it is refused while a worker still holds a running job's lease. A running
job whose worker died is copied as it is, and runs again on the target once a worker
there finds its lease expired. The target is migrated, and must hold no jobs and no
batches; templates of the same name are replaced. Each chunk is written in a
transaction of its own: if a copy stops midway, empty the target and copy again.
Feed positions are the target's own: a watcher resuming from a position it saw on the
source must start again from the start (or now) on the target.

Progress goes to stderr, the summary to stdout. Exit code 1 when the copy failed, or
when the source changed while it was copied (the target then lacks those changes).

Options:
  -h, --help    Show this help
`;

const OPTIONS = { help: { type: 'boolean', short: 'h' } } as const;

export async function copy(args: string[]): Promise<void> {
  const { values, positionals } = parse('copy', args, OPTIONS, true);
  if (values.help) {
    process.stdout.write(COPY_HELP);
    return;
  }
  if (positionals.length !== 2) {
    throw new UsageError(
      `kiln copy takes two store URLs, <from> and <to>; got ${positionals.length}`,
      'copy',
    );
  }
  const [from, to] = positionals as [string, string];
  process.stderr.write(`kiln copy: ${redactStoreUrl(from)} -> ${redactStoreUrl(to)}\n`);
  const printer = new CopyProgressPrinter();
  let result: CopyResult;
  try {
    result = await copyStore(from, to, { onProgress: (p) => printer.update(p) });
    printer.end();
  } catch (error) {
    printer.interrupt();
    throw error;
  }
  process.stdout.write(`${summary(result)}\n`);
  if (result.sourceChanged) {
    process.stderr.write(
      'kiln: the source changed while it was copied (a worker or producer is still using it): ' +
        'the target holds the source as it was when the copy began, without those changes. ' +
        'Stop everything that uses the source, empty the target and copy again.\n',
    );
    process.exitCode = 1;
  }
}

function summary({ copied: c, durationMs }: CopyResult): string {
  const n = (count: number, one: string, many = `${one}s`) =>
    `${count.toLocaleString('en')} ${count === 1 ? one : many}`;
  return (
    `copied ${n(c.templates, 'template')}, ${n(c.batches, 'batch', 'batches')}, ${n(c.jobs, 'job')}, ` +
    `${n(c.logs, 'log line')} and ${n(c.artifacts, 'artifact')} (${formatBytes(c.artifactBytes)}) ` +
    `in ${(durationMs / 1_000).toFixed(1)} s`
  );
}
