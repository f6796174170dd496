import { KilnError } from '../../core/errors.ts';
import type { ArtifactInfo, Batch, Job } from '../../core/model.ts';
import type { Kiln } from '../../kiln.ts';
import { artifactBody, batchBody } from '../routes/wire.ts';
import { FolderNames } from './folder-names.ts';
import { ResultsSpool } from './results-spool.ts';
import type { ZipEntry } from './zip-stream.ts';

/** Jobs read per page: a page (params and results included) is what an export holds. */
const JOB_PAGE = 100;

/** One artifact as results.json lists it: where to find it in the archive. */
export interface ExportedArtifact {
  name: string;
  path: string;
  sizeBytes: number;
  contentType: string | null;
  createdAt: string;
}

/**
 * The files of a batch's export, in order: every artifact of every job under
 * `artifacts/<job folder>/<name>`, then `results.json` (the batch with its aggregate and
 * every job with the paths of its artifacts). Jobs are read a page at a time and
 * artifacts one at a time, each only when the archive asks for its next file.
 *
 * Artifacts are read whole: each was one buffer in its worker's memory when written
 * (`ctx.artifacts.write(name, bytes)`), and PostgreSQL returns a bytea value whole, so
 * an export holds at most the largest single artifact, as a download of it does.
 */
export async function* batchArchive(
  kiln: Kiln,
  batch: Batch,
  exportedAt: Date,
): AsyncGenerator<ZipEntry, void, undefined> {
  const spool = await ResultsSpool.open();
  try {
    const folders = new FolderNames();
    await spool.write(
      `{"exportedAt":${JSON.stringify(exportedAt.toISOString())},"batch":${JSON.stringify(batchBody(batch))},"jobs":[`,
    );
    let first = true;
    let cursor: string | null = null;
    do {
      const page = await kiln.jobs.list({ batchId: batch.id, cursor, limit: JOB_PAGE });
      for (const job of page.items) {
        const listed = await kiln.artifacts.list(job.id);
        const folder = listed.length > 0 ? folders.take(job) : '';
        const exported: ExportedArtifact[] = [];
        for (const artifact of listed) {
          const data = await readIfPresent(kiln, artifact);
          if (data === null) continue;
          const path = `artifacts/${folder}/${artifact.name}`;
          yield { name: path, mtime: artifact.createdAt, deflate: false, data: [data] };
          exported.push({ ...artifactBody(artifact), path, sizeBytes: data.length });
        }
        await spool.write(`${first ? '\n' : ',\n'}${JSON.stringify(jobRecord(job, exported))}`);
        first = false;
      }
      cursor = page.nextCursor;
    } while (cursor !== null);
    await spool.write('\n]}\n');
    yield { name: 'results.json', mtime: exportedAt, deflate: true, data: spool.read() };
  } finally {
    await spool.remove();
  }
}

/** What results.json says of one job. */
function jobRecord(job: Job, artifacts: ExportedArtifact[]) {
  const iso = (d: Date | null) => (d === null ? null : d.toISOString());
  return {
    id: job.id,
    name: job.name,
    type: job.type,
    state: job.state,
    params: job.params,
    result: job.result,
    error: job.error,
    attempt: job.attempt,
    maxAttempts: job.maxAttempts,
    progress: job.progress,
    progressMessage: job.progressMessage,
    usage: job.usage,
    createdAt: iso(job.createdAt),
    runAt: iso(job.runAt),
    startedAt: iso(job.startedAt),
    finishedAt: iso(job.finishedAt),
    artifacts,
  };
}

/**
 * The artifact's bytes, or null if it went between its listing and its read (its job
 * was deleted meanwhile): the archive then simply leaves it out, and so does
 * results.json. Any other failure of the store ends the export.
 */
async function readIfPresent(kiln: Kiln, artifact: ArtifactInfo): Promise<Buffer | null> {
  try {
    return await kiln.artifacts.read(artifact.jobId, artifact.name);
  } catch (error) {
    if (error instanceof KilnError && error.code === 'ARTIFACT_NOT_FOUND') return null;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
