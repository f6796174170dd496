import type { Batch, ChangeEvent, Job } from '../../core/model.ts';
import type { Store } from '../../store/store.ts';
import type { FeedHub, Interest } from './hub.ts';
import type { RingEntry } from './ring.ts';
import { frame, KEEP_ALIVE, retryFrame } from './sse.ts';

export interface StreamOptions {
  interest: Interest;
  /** Resume after this feed position (Last-Event-ID): no snapshot, no gap, no duplicate. */
  after: number | undefined;
  keepAliveMs: number;
  retryMs: number;
}

/** Events written per pull at most; a pull never ends inside one transaction's changes. */
const CHUNK = 500;
/** How long a store that cannot be read is retried before the stream ends (client resumes). */
const UNREADABLE_MS = 60_000;

const encoder = new TextEncoder();

/**
 * One client's event stream, produced only as fast as the client reads (the HTTP layer
 * pulls a chunk when the socket has drained): a slow client costs no memory beyond one
 * chunk. It starts with a snapshot (or, resuming, right after the client's position),
 * reads from the store until it reaches the hub's ring, then from the ring. A client
 * that falls behind the ring goes back to reading the store, where a row's latest
 * state stands for all its changes since (the feed coalesces by itself).
 *
 * Ids: an event's `id` is its feed position, and only the client's last event of each
 * transaction carries it, so a client cut off in the middle of one transaction's
 * changes resumes before that transaction and gets all of it, never a part.
 */
export function eventStream(hub: FeedHub, opts: StreamOptions): ReadableStream<Uint8Array> {
  const store = hub.store;
  const { interest } = opts;
  let release: (() => void) | undefined;
  let cancelled = false;
  let cursor = opts.after ?? 0;
  let mode: 'start' | 'store' | 'ring' = 'start';
  let ringIndex = 0;
  let unreadableSince: number | undefined;
  let snapshot: AsyncGenerator<string, void, undefined> | undefined;

  const interestKey = `${interest.batchId ?? ''}/${interest.jobId ?? ''}`;
  const wants = (e: RingEntry): boolean =>
    interest.jobId !== undefined
      ? e.jobId === interest.jobId
      : interest.batchId === undefined || e.batchId === interest.batchId;

  /**
   * Frames for feed events read from the store (batches become their aggregates; a batch
   * gone since is left out), the id on the last frame of each transaction. The batches
   * whose jobs changed in the page follow with their aggregates as they are now, as the
   * hub sends them to clients in the ring: a client catching up (after a restart, or
   * behind the ring) would otherwise see every job finish and its batch never move.
   */
  const storeFrames = async (events: ChangeEvent[]): Promise<string> => {
    const out: { event: 'job' | 'batch'; json: string; seq: number }[] = [];
    const sent = new Set<string>();
    const touched = new Set<string>();
    for (const e of events) {
      if (e.kind === 'job') {
        out.push({ event: 'job', json: JSON.stringify(e.job), seq: e.seq });
        if (e.job.batchId !== null && interest.jobId === undefined) touched.add(e.job.batchId);
      } else {
        const batch = await store.getBatch(e.batch.id);
        sent.add(e.batch.id);
        if (batch !== null) out.push({ event: 'batch', json: JSON.stringify(batch), seq: e.seq });
      }
    }
    const lastSeq = events.at(-1)?.seq;
    for (const id of touched) {
      if (sent.has(id) || lastSeq === undefined) continue;
      const batch = await store.getBatch(id);
      if (batch !== null) out.push({ event: 'batch', json: JSON.stringify(batch), seq: lastSeq });
    }
    let text = '';
    for (let i = 0; i < out.length; i++) {
      const f = out[i]!;
      const last = i === out.length - 1 || out[i + 1]!.seq !== f.seq;
      text += frame(f.event, f.json, last ? f.seq : undefined);
    }
    return text;
  };

  const fromStore = async (): Promise<string> => {
    // The ring holds every change after its floor: a client at or past it reads there,
    // and never chases a busy feed in the store (where it would read each change itself).
    const ring = hub.ring;
    if (ring !== undefined && cursor >= ring.floor) {
      mode = 'ring';
      ringIndex = ring.indexAfter(cursor);
      return '';
    }
    const safe = await store.currentSeq();
    const events = await store.changesSince(cursor, interest, CHUNK);
    if (events.length > 0) {
      const out = await storeFrames(events);
      cursor = events[events.length - 1]!.seq;
      return out;
    }
    // Nothing for this client up to `safe`: it is as far as the store can take it.
    cursor = Math.max(cursor, safe);
    if (ring === undefined || cursor < ring.floor) await hub.waitForNews(50);
    return '';
  };

  /** Frames for a run of ring entries: this client's events, an id on its last of each transaction. */
  const ringFrames = (entries: RingEntry[]): string => {
    let out = '';
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (!e.change) {
        if (wants(e)) out += frame(e.event, e.json);
        continue;
      }
      if (e.seq <= cursor) continue; // the client had it already (snapshot or store)
      if (!wants(e)) continue;
      let last = true;
      for (
        let k = i + 1;
        k < entries.length && entries[k]!.change && entries[k]!.seq === e.seq;
        k++
      ) {
        if (wants(entries[k]!)) {
          last = false;
          break;
        }
      }
      out += frame(e.event, e.json, last ? e.seq : undefined);
    }
    return out;
  };

  const fromRing = async (): Promise<string | Uint8Array> => {
    const ring = hub.ring;
    if (ring === undefined || !ring.holds(ringIndex)) {
      mode = 'store'; // fell behind the ring (or the follower restarted)
      return '';
    }
    const entries = ring.from(ringIndex, CHUNK);
    // Extend to the end of the last transaction's changes: a pull never splits one.
    let more = ring.from(ringIndex + entries.length, CHUNK);
    while (more.length > 0 && entries.length > 0) {
      const tail = entries[entries.length - 1]!;
      const k = more.findIndex((e) => !e.change || e.seq !== tail.seq);
      if (k === 0) break;
      entries.push(...(k === -1 ? more : more.slice(0, k)));
      if (k !== -1) break;
      more = ring.from(ringIndex + entries.length, CHUNK);
    }
    if (entries.length === 0) {
      await hub.waitForNews(opts.keepAliveMs);
      return ring.end === ringIndex && hub.ring === ring ? KEEP_ALIVE : '';
    }
    const first = ringIndex;
    ringIndex = entries[entries.length - 1]!.index + 1;
    const lastChange = entries.findLast((e) => e.change);
    const skips = entries.some((e) => e.change && e.seq <= cursor);
    // Clients with the same interest at the same place in the ring get the same bytes:
    // made once, shared (with 100 clients on one batch, the server encodes each chunk once).
    const key = `${interestKey}@${first}-${ringIndex}`;
    let bytes = skips ? undefined : ring.chunks.get(key);
    if (bytes === undefined) {
      bytes = encoder.encode(ringFrames(entries));
      if (!skips) ring.keepChunk(key, bytes);
    }
    if (lastChange !== undefined && lastChange.seq > cursor) cursor = lastChange.seq;
    return bytes;
  };

  const start = async (): Promise<string> => {
    release = await hub.subscribe(interest);
    // The client left while the follower was starting: let go at once.
    if (cancelled) release();
    mode = 'store';
    if (opts.after !== undefined) {
      // Resuming: the batch's aggregate as it is now, then every change after `after`.
      const batch = interest.batchId === undefined ? null : await store.getBatch(interest.batchId);
      return retryFrame(opts.retryMs) + (batch ? frame('batch', JSON.stringify(batch)) : '');
    }
    // The snapshot is read after its position: changes after it come next, so nothing
    // is missed (a row changed in between comes again, with its later seq).
    cursor = await store.currentSeq();
    snapshot = snapshotFrames(store, interest);
    return retryFrame(opts.retryMs);
  };

  const next = async (): Promise<string | Uint8Array> => {
    if (mode === 'start') return start();
    if (snapshot !== undefined) {
      const r = await snapshot.next();
      if (!r.done) return r.value;
      snapshot = undefined;
      return frame('snapshot', JSON.stringify({ position: cursor }), cursor);
    }
    return mode === 'store' ? fromStore() : fromRing();
  };

  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          let text: string | Uint8Array;
          try {
            text = await next();
            unreadableSince = undefined;
          } catch (error) {
            unreadableSince ??= Date.now();
            if (Date.now() - unreadableSince > UNREADABLE_MS) throw error;
            await hub.waitForNews(1_000);
            continue;
          }
          if (hub.isClosed) {
            release?.();
            controller.close();
            return;
          }
          if (text.length > 0) {
            controller.enqueue(typeof text === 'string' ? encoder.encode(text) : text);
            return;
          }
        }
      },
      cancel() {
        cancelled = true;
        release?.();
      },
    },
    { highWaterMark: 0 },
  );
}

/** The current state: the job, or the batch's aggregate and its jobs, or recent batches. */
async function* snapshotFrames(
  store: Store,
  interest: Interest,
): AsyncGenerator<string, void, undefined> {
  if (interest.jobId !== undefined) {
    const job = await store.getJob(interest.jobId);
    if (job !== null) yield frame('job', JSON.stringify(job));
    return;
  }
  if (interest.batchId !== undefined) {
    const batch = await store.getBatch(interest.batchId);
    if (batch !== null) yield frame('batch', JSON.stringify(batch));
    let cursor: string | null = null;
    do {
      const page: { items: Job[]; nextCursor: string | null } = await store.listJobs(
        { batchId: interest.batchId },
        { limit: CHUNK, cursor },
      );
      yield page.items.map((j) => frame('job', JSON.stringify(j))).join('');
      cursor = page.nextCursor;
    } while (cursor !== null);
    return;
  }
  const batches: { items: Batch[] } = await store.listBatches({ limit: 100, cursor: null });
  yield batches.items.map((b) => frame('batch', JSON.stringify(b))).join('');
}
