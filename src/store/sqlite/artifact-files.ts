import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertArtifactName } from '../../core/artifact-name.ts';
import { isId } from '../../core/ids.ts';

/**
 * Artifact bytes live as files beside the database: `<dir>/<jobId>/<name>`. The rows in
 * `artifacts` are the truth; a file is written to a temporary name first and renamed
 * into place inside the fenced transaction, so a zombie attempt never replaces a file.
 */
export class ArtifactFiles {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** The job's folder: `<dir>/<jobId>`. */
  jobDir(jobId: string): string {
    if (!isId(jobId)) throw new Error(`not a job id: ${jobId}`);
    return join(this.dir, jobId);
  }

  /** Writes the bytes under a temporary name in the job's folder; returns that path. */
  async stage(jobId: string, data: Uint8Array): Promise<string> {
    const dir = this.jobDir(jobId);
    mkdirSync(dir, { recursive: true });
    const temp = join(dir, `.tmp-${randomBytes(8).toString('hex')}`);
    await writeFile(temp, data);
    return temp;
  }

  publish(staged: string, jobId: string, name: string): void {
    assertArtifactName(name);
    renameSync(staged, join(this.jobDir(jobId), name));
  }

  discard(staged: string): void {
    rmSync(staged, { force: true });
  }

  async read(jobId: string, name: string): Promise<Buffer> {
    assertArtifactName(name);
    return readFile(join(this.jobDir(jobId), name));
  }

  removeJob(jobId: string): void {
    rmSync(this.jobDir(jobId), { recursive: true, force: true });
  }

  /** Folders whose job no longer exists (a crash between a delete's commit and its rm). */
  orphans(jobExists: (id: string) => boolean): string[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    return names.filter((n) => isId(n) && !jobExists(n));
  }
}
