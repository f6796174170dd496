import { existsSync } from 'node:fs';
import { checkOptionNames, KilnError } from '../core/errors.ts';
import type { ArtifactRowDump, DumpCounts, DumpReader, DumpWriter } from '../store/dump.ts';
import { openStore, parsePostgresUrl, redactStoreUrl, sqliteFile } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import { storeIdentity } from './identity.ts';

export type CopyPhase = 'templates' | 'batches' | 'jobs' | 'logs' | 'attempts' | 'artifacts';

/** Where a copy is: sent at the start of each phase and after each chunk it wrote. */
export interface CopyProgress {
  phase: CopyPhase;
  /** Rows of this phase written so far, of `total`. */
  done: number;
  total: number;
  /** Artifacts: bytes written so far, of `totalBytes` (0 in the other phases). */
  bytes: number;
  totalBytes: number;
}

export interface CopyOptions {
  /** Rows per transaction (log lines: five times as many). Default 1,000. */
  chunkSize?: number;
  /** Artifact bytes per transaction, at most (a larger artifact goes alone). Default 16 MB. */
  chunkBytes?: number;
  /** Called at the start of each phase and after each chunk; a promise it returns is awaited. */
  onProgress?: (progress: CopyProgress) => void | Promise<void>;
}

export interface CopyResult {
  /** What was copied: everything the source held when the copy began. */
  copied: DumpCounts;
  /**
   * Whether a job or batch of the source changed after the copy took its snapshot (a
   * worker or producer still at work on it): the target holds the snapshot, without
   * those changes.
   */
  sourceChanged: boolean;
  durationMs: number;
}

const OPTIONS = ['chunkSize', 'chunkBytes', 'onProgress'];

/**
 * Copies a whole Kiln store to another, empty one (`kiln copy`): templates, batches,
 * jobs with every column and their params, logs, and artifacts with their bytes.
 *
 * - The source is read from one snapshot, in keyset chunks: memory holds one chunk,
 *   never the store. A source with running jobs whose leases are live is refused
 *   (JOBS_RUNNING): a worker is still at them, and what it does next would be lost. A
 *   running job whose lease expired (its worker died) is copied as it is, and the
 *   target's stall reaper retries it as it would have on the source.
 * - The target must hold no jobs and no batches (STORE_NOT_EMPTY). Each chunk is one
 *   transaction; a copy that fails midway leaves the chunks it committed, and a re-run
 *   refuses that target until it is emptied: nothing is ever written twice or merged.
 * - Feed positions are the target's own: each chunk of jobs or batches is stamped with
 *   one position of the target, in order, so a watcher from the start sees every row,
 *   and changes after the copy come after them. Positions a client saw on the source
 *   mean nothing on the target.
 */
export async function copyStore(
  from: string,
  to: string,
  options: CopyOptions = {},
): Promise<CopyResult> {
  checkOptionNames('copyStore', options, OPTIONS);
  const chunkSize = positive('chunkSize', options.chunkSize ?? 1_000);
  const chunkBytes = positive('chunkBytes', options.chunkBytes ?? 16 * 1024 * 1024);
  if (storeIdentity(from) === storeIdentity(to)) {
    throw new KilnError('INVALID_ARGUMENT', `the source and the target are the same store`);
  }
  const sourceFile = sqliteFile(from);
  if (sourceFile !== null && !existsSync(sourceFile)) {
    throw new KilnError('INVALID_ARGUMENT', `there is no SQLite database at ${sourceFile}`);
  }
  const startedMs = Date.now();
  const source = openStore(from);
  try {
    const target = openStore(to);
    try {
      await checkStores(from, source, to, target);
      const { copied, sourceChanged } = await copyRows(source.dump(), target.dump(), {
        chunkSize,
        chunkBytes,
        onProgress: options.onProgress ?? (() => {}),
      });
      return { copied, sourceChanged, durationMs: Date.now() - startedMs };
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new KilnError('INVALID_ARGUMENT', `${name} must be a positive integer, got ${value}`);
  }
  return value;
}

/** Both stores at this Kiln's schema (opening migrated older ones), the target empty. */
async function checkStores(from: string, source: Store, to: string, target: Store): Promise<void> {
  for (const [url, store] of [
    [from, source],
    [to, target],
  ] as const) {
    const v = await store.schemaVersion();
    if (v.version > v.latest) {
      throw new KilnError(
        'SCHEMA_TOO_NEW',
        `${redactStoreUrl(url)} is at schema version ${v.version}, newer than this Kiln knows (${v.latest}): copy with the newer Kiln`,
      );
    }
    if (store === source && v.applied.includes(1)) {
      throw new KilnError(
        'INVALID_ARGUMENT',
        `${redactStoreUrl(url)} held no Kiln store (opening it has just created an empty one): check the source URL`,
      );
    }
  }
  const held = await target.dump().occupancy();
  if (held.jobs > 0 || held.batches > 0) {
    throw new KilnError(
      'STORE_NOT_EMPTY',
      `the target ${redactStoreUrl(to)} already holds ${count(held.jobs, 'job')} and ${count(held.batches, 'batch', 'batches')}; ` +
        `kiln copy writes only into an empty store. If they are what an interrupted copy left, empty the target ` +
        (target.dialect === 'postgres'
          ? `(DROP SCHEMA "${parsePostgresUrl(to).schema}" CASCADE)`
          : `(delete the database file with its -wal, -shm and -bell files and its artifacts folder)`) +
        ' and copy again',
      held,
    );
  }
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

interface Chunking {
  chunkSize: number;
  chunkBytes: number;
  onProgress: (progress: CopyProgress) => void | Promise<void>;
}

async function copyRows(
  reader: DumpReader,
  writer: DumpWriter,
  chunking: Chunking,
): Promise<{ copied: DumpCounts; sourceChanged: boolean }> {
  let copied: DumpCounts;
  try {
    await reader.begin();
    const live = await reader.liveLeases();
    if (live > 0) {
      throw new KilnError(
        'JOBS_RUNNING',
        `the source has ${count(live, 'running job')} whose ${live === 1 ? 'worker still holds its lease' : 'workers still hold their leases'}: stop the source's workers ` +
          '(a stopped worker hands its jobs back to pending) and copy again. A running job whose worker died is ' +
          'copied once its lease has expired, and runs again on the target',
        { running: live },
      );
    }
    copied = await reader.counts();
    await copyAll(reader, writer, copied, chunking);
  } catch (error) {
    await reader.end().catch(() => {});
    throw error;
  }
  const { changedSince } = await reader.end();
  const held = await writer.occupancy();
  if (held.jobs !== copied.jobs || held.batches !== copied.batches) {
    throw new Error(
      `copied ${copied.jobs} jobs and ${copied.batches} batches, but the target holds ${held.jobs} and ${held.batches}: something else wrote to it during the copy`,
    );
  }
  return { copied, sourceChanged: changedSince };
}

type Report = (
  phase: CopyPhase,
  done: number,
  total: number,
  bytes?: number,
  totalBytes?: number,
) => Promise<void>;

/** The phases in the order a watcher should meet them: a batch before its jobs. */
async function copyAll(
  reader: DumpReader,
  writer: DumpWriter,
  totals: DumpCounts,
  { chunkSize, chunkBytes, onProgress }: Chunking,
): Promise<void> {
  const report: Report = async (phase, done, total, bytes = 0, totalBytes = 0) => {
    await onProgress({ phase, done, total, bytes, totalBytes });
  };
  await chunks({
    phase: 'templates',
    total: totals.templates,
    start: null as string | null,
    read: (after) => reader.templates(after, chunkSize),
    key: (row) => row.name as string,
    write: (rows) => writer.writeTemplates(rows),
    report,
  });
  await chunks({
    phase: 'batches',
    total: totals.batches,
    start: null as string | null,
    read: (after) => reader.batches(after, chunkSize),
    key: (row) => row.id as string,
    write: (rows) => writer.writeBatches(rows),
    report,
  });
  await chunks({
    phase: 'jobs',
    total: totals.jobs,
    start: 0,
    read: (after) => reader.jobs(after, chunkSize),
    key: (row) => row.rid as number,
    write: (rows) => writer.writeJobs(rows),
    report,
  });
  await chunks({
    phase: 'logs',
    total: totals.logs,
    start: 0,
    read: (after) => reader.logs(after, chunkSize * 5),
    key: (row) => row.id as number,
    write: (rows) => writer.writeLogs(rows),
    report,
  });
  await chunks({
    phase: 'attempts',
    total: totals.attempts,
    start: ['', 0] as [string, number],
    read: (after) => reader.attempts(after, chunkSize * 5),
    key: (row): [string, number] => [row.job_id as string, Number(row.attempt)],
    write: (rows) => writer.writeAttempts(rows),
    report,
  });
  await copyArtifacts(reader, writer, totals, { chunkSize, chunkBytes }, report);
}

/** Reads chunk after chunk in key order until one comes back empty; each is one write. */
async function chunks<R, K>(p: {
  phase: CopyPhase;
  total: number;
  start: K;
  read: (after: K) => Promise<R[]>;
  key: (row: R) => K;
  write: (rows: R[]) => Promise<void>;
  report: Report;
}): Promise<void> {
  await p.report(p.phase, 0, p.total);
  let done = 0;
  for (let after = p.start; ; ) {
    const rows = await p.read(after);
    if (rows.length === 0) return;
    await p.write(rows);
    done += rows.length;
    after = p.key(rows[rows.length - 1]!);
    await p.report(p.phase, done, p.total);
  }
}

/**
 * Artifacts in transactions of at most `chunkSize` artifacts and `chunkBytes` bytes (an
 * artifact larger than that goes alone), planned from the sizes their rows give, so
 * that memory holds one chunk whatever the total size.
 */
async function copyArtifacts(
  reader: DumpReader,
  writer: DumpWriter,
  totals: DumpCounts,
  { chunkSize, chunkBytes }: { chunkSize: number; chunkBytes: number },
  report: Report,
): Promise<void> {
  let done = 0;
  let doneBytes = 0;
  await report('artifacts', 0, totals.artifacts, 0, totals.artifactBytes);
  let after: [string, string] | null = null;
  for (;;) {
    const rows = await reader.artifacts(after, chunkSize);
    if (rows.length === 0) return;
    for (let i = 0; i < rows.length; ) {
      let end = i + 1;
      let bytes = rows[i]!.size_bytes as number;
      while (end < rows.length && bytes + (rows[end]!.size_bytes as number) <= chunkBytes) {
        bytes += rows[end++]!.size_bytes as number;
      }
      const chunk = rows.slice(i, end);
      const data = await readArtifacts(reader, chunk);
      await writer.writeArtifacts(chunk.map((row, k) => ({ row, data: data[k]! })));
      done += chunk.length;
      doneBytes += data.reduce((sum, d) => sum + d.byteLength, 0);
      await report('artifacts', done, totals.artifacts, doneBytes, totals.artifactBytes);
      i = end;
    }
    const last = rows[rows.length - 1]!;
    after = [last.job_id as string, last.name as string];
  }
}

async function readArtifacts(reader: DumpReader, rows: ArtifactRowDump[]): Promise<Buffer[]> {
  try {
    return await reader.artifactData(rows);
  } catch (error) {
    const names = rows.map((r) => `${r.job_id}/${r.name}`);
    throw new Error(
      `cannot read artifacts ${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''} from the source ` +
        `(was a job deleted during the copy? stop the source's workers first): ${error instanceof Error ? error.message : error}`,
      { cause: error },
    );
  }
}
