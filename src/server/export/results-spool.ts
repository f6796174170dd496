import type { FileHandle } from 'node:fs/promises';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FLUSH_BYTES = 64 * 1024;
const READ_BYTES = 64 * 1024;

/**
 * results.json, written to a temporary file while the artifacts stream, and read back
 * into the archive last. A ZIP holds its files one after another, and results.json must
 * say exactly which artifacts made it into the archive, so it can only be written once
 * they have; keeping it in memory meanwhile would grow with the batch (params and
 * results of every job), a file does not.
 */
export class ResultsSpool {
  private pending = '';
  private readonly dir: string;
  private readonly file: FileHandle;

  private constructor(dir: string, file: FileHandle) {
    this.dir = dir;
    this.file = file;
  }

  static async open(): Promise<ResultsSpool> {
    const dir = await mkdtemp(join(tmpdir(), 'kiln-export-'));
    try {
      return new ResultsSpool(dir, await open(join(dir, 'results.json'), 'w+'));
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  async write(text: string): Promise<void> {
    this.pending += text;
    if (this.pending.length >= FLUSH_BYTES) await this.flush();
  }

  /** The file's bytes from the start, one buffer-full at a time (each a fresh copy). */
  async *read(): AsyncGenerator<Uint8Array, void, undefined> {
    await this.flush();
    for (let position = 0; ; ) {
      const buffer = Buffer.allocUnsafe(READ_BYTES);
      const { bytesRead } = await this.file.read(buffer, 0, READ_BYTES, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  }

  /** Closes and deletes the file; safe to call more than once. */
  async remove(): Promise<void> {
    await this.file.close().catch(() => {});
    await rm(this.dir, { recursive: true, force: true });
  }

  private async flush(): Promise<void> {
    if (this.pending === '') return;
    const text = this.pending;
    this.pending = '';
    await this.file.write(text);
  }
}
