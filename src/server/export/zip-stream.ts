import { Zip, ZipDeflate, ZipPassThrough } from 'fflate';

/** One file of a streamed ZIP: its bytes arrive in pieces and are never all held at once. */
export interface ZipEntry {
  /** Path inside the archive, `/`-separated. */
  name: string;
  mtime: Date;
  /** Deflate the bytes (text), or store them as they are (usually compressed already). */
  deflate: boolean;
  data: Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
}

/**
 * fflate writes classic ZIP (no ZIP64): at most 65,535 entries, and every offset below
 * 4 GiB. Past either, the central directory would be silently wrong, so the export
 * fails instead (and the client sees a truncated transfer, not a corrupt archive).
 */
export const MAX_ZIP_ENTRIES = 0xffff;
export const MAX_ZIP_BYTES = 0xffff_ffff;

/**
 * The ZIP of `entries`, as chunks produced only when the consumer asks for the next
 * one: each entry's pieces are pulled one at a time, so what is in memory is the piece
 * being written (one artifact), never the archive. fflate's Zip calls back
 * synchronously, so the chunks of one piece are collected and handed out before the
 * next piece is read.
 */
export async function* zipChunks(
  entries: AsyncIterable<ZipEntry>,
): AsyncGenerator<Uint8Array, void, undefined> {
  let ready: Uint8Array[] = [];
  let failure: Error | null = null;
  let written = 0;
  const zip = new Zip((error, chunk) => {
    if (error) failure ??= error;
    else ready.push(chunk);
  });
  const take = (): Uint8Array[] => {
    if (failure) throw failure;
    const chunks = ready;
    ready = [];
    for (const c of chunks) written += c.length;
    if (written > MAX_ZIP_BYTES) throw new Error('the archive would exceed 4 GiB (no ZIP64)');
    return chunks;
  };
  let count = 0;
  for await (const entry of entries) {
    if (++count > MAX_ZIP_ENTRIES) {
      throw new Error(`the archive would hold more than ${MAX_ZIP_ENTRIES} files (no ZIP64)`);
    }
    const file = entry.deflate
      ? new ZipDeflate(entry.name, { level: 6 })
      : new ZipPassThrough(entry.name);
    file.mtime = entry.mtime;
    zip.add(file);
    for await (const piece of entry.data) {
      file.push(piece, false);
      yield* take();
    }
    file.push(new Uint8Array(0), true);
    yield* take();
  }
  zip.end();
  yield* take();
}

/**
 * A byte stream that runs `chunks` one step per read: nothing is produced ahead of the
 * consumer (high-water mark 0), so a slow client holds the export back instead of
 * filling the server's memory. An error errors the stream (the HTTP layer then destroys
 * the connection); a cancelled stream (client gone) ends the generator, running its
 * `finally` blocks.
 */
export function pullStream(
  chunks: AsyncGenerator<Uint8Array, void, undefined>,
  onError: (error: unknown) => void,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await chunks.next();
          if (next.done) controller.close();
          else controller.enqueue(next.value);
        } catch (error) {
          onError(error);
          controller.error(error);
        }
      },
      async cancel() {
        await chunks.return(undefined);
      },
    },
    { highWaterMark: 0 },
  );
}
