import { open, rename, rm } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ClientError } from '../client/index.ts';
import { UsageError } from '../usage.ts';
import { CONNECTION_HELP, clientCommand, connect, parseCommand } from './common.ts';

const HELP = `Usage: kiln export <batch-id> [-o file.zip]

Downloads a batch's results.json and every artifact as one ZIP, streamed to disk
(never held in memory), with a progress line on stderr. The file appears only once it
is complete: a download cut short leaves nothing behind and exits 1.

Options:
  -o, --output <path>        Where to write (default: the name the server suggests,
                             from the batch's name, in this folder); - for stdout
${CONNECTION_HELP}
`;

const OPTIONS = { output: { type: 'string', short: 'o' } } as const;

export const exportBatch = clientCommand('export', HELP, async (args, io) => {
  const { values, positionals } = parseCommand('export', args, OPTIONS, {
    min: 1,
    max: 1,
    names: 'the batch id: kiln export <batch-id>',
  });
  const batchId = positionals[0]!;
  const response = await connect(values, io.env).batches.export(batchId);
  const toStdout = values.output === '-';
  const path = values.output ?? suggestedName(response.headers.get('content-disposition'), batchId);
  const partial = `${path}.part`;
  // Opened before the first byte is read: a path that cannot be written is said at once.
  const file = toStdout
    ? undefined
    : await open(partial, 'w').catch((error: Error) => {
        response.body?.cancel().catch(() => {});
        throw new UsageError(`cannot write ${partial}: ${error.message}`, 'export');
      });
  const progress = new ByteProgress(io.err, toStdout ? 'stdout' : path);
  const counted = async function* (source: AsyncIterable<Uint8Array>) {
    for await (const chunk of source) {
      progress.add(chunk.byteLength);
      yield chunk;
    }
  };
  try {
    // pipeline: back-pressure from the disk to the socket, and an error on either side
    // (the connection cut, the disk full) ends both.
    const body = Readable.fromWeb(response.body ?? new ReadableStream());
    if (file) {
      await pipeline(body, counted, file.createWriteStream());
      await rename(partial, path);
    } else await pipeline(body, counted, io.out, { end: false });
  } catch (error) {
    if (file) await rm(partial, { force: true });
    progress.done(false);
    throw new ClientError(
      'EXPORT_INTERRUPTED',
      `the export of batch ${batchId} was cut short after ${size(progress.bytes)}: ` +
        `${error instanceof Error ? error.message : String(error)}`,
      500,
    );
  }
  progress.done(true);
  return 0;
});

/** The file name from `Content-Disposition` (filename* first), never a path. */
export function suggestedName(disposition: string | null, batchId: string): string {
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition ?? '')?.[1];
  let name: string | undefined;
  if (star) {
    try {
      name = decodeURIComponent(star);
    } catch {
      name = undefined;
    }
  }
  name ??= /filename="([^"]*)"/i.exec(disposition ?? '')?.[1];
  const safe = name ? basename(name.replace(/\\/g, '/')) : '';
  return safe && safe !== '.' && safe !== '..' ? safe : `${batchId}.zip`;
}

/** "exporting to x.zip: 12.3 MB, 4.1 MB/s", redrawn in place on a terminal. */
class ByteProgress {
  bytes = 0;
  private readonly startedMs = Date.now();
  private lastDrawMs = 0;
  private readonly err: NodeJS.WriteStream;
  private readonly target: string;

  constructor(err: NodeJS.WriteStream, target: string) {
    this.err = err;
    this.target = target;
  }

  add(n: number): void {
    this.bytes += n;
    const now = Date.now();
    if (this.err.isTTY && now - this.lastDrawMs >= 100) {
      this.lastDrawMs = now;
      this.err.write(`\r\x1b[2Kexporting to ${this.target}: ${this.text()}`);
    }
  }

  done(ok: boolean): void {
    const clear = this.err.isTTY ? '\r\x1b[2K' : '';
    const verb = ok ? 'exported to' : 'failed exporting to';
    this.err.write(`${clear}${verb} ${this.target}: ${this.text()}\n`);
  }

  private text(): string {
    const seconds = Math.max(0.001, (Date.now() - this.startedMs) / 1000);
    return `${size(this.bytes)} in ${seconds.toFixed(1)} s (${size(this.bytes / seconds)}/s)`;
  }
}

function size(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}
