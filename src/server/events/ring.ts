/** One event the hub holds for its subscribers, serialized at most once for all of them. */
export interface RingEntry {
  /** Position in the ring: a subscriber remembers the next index it reads. */
  index: number;
  /** The feed position of the change; an aggregate carries the position it was read at. */
  seq: number;
  event: 'job' | 'batch';
  /** Whether this entry is a feed change (may carry an id) or a computed batch aggregate. */
  change: boolean;
  jobId: string | null;
  batchId: string | null;
  /** The event's data, serialized once when it enters the ring (every client shares it). */
  json: string;
}

/**
 * The last `capacity` events of the feed in memory, shared by every subscriber. An
 * entry falls off the back when the ring is full; `floor` is then the highest feed
 * position that may be missing, and a subscriber behind it reads from the store
 * instead (memory never grows with a slow subscriber).
 */
export class Ring {
  private readonly entries: RingEntry[] = [];
  private nextIndex = 0;
  floor: number;
  private readonly capacity: number;

  constructor(capacity: number, startSeq: number) {
    this.capacity = capacity;
    this.floor = startSeq;
  }

  get size(): number {
    return this.entries.length;
  }

  /** The index the next entry will get. */
  get end(): number {
    return this.nextIndex;
  }

  /** Encoded chunks shared by clients of the same interest at the same place (stream.ts). */
  readonly chunks = new Map<string, Uint8Array>();

  keepChunk(key: string, bytes: Uint8Array): void {
    this.chunks.set(key, bytes);
    // Clients woken by the same news ask for the same chunk at once; older chunks are
    // wanted only by stragglers, which make their own. Each can be a few hundred kB.
    if (this.chunks.size > 16) this.chunks.delete(this.chunks.keys().next().value!);
  }

  push(entry: Omit<RingEntry, 'index'>): void {
    this.entries.push({ ...entry, index: this.nextIndex++ });
    while (this.entries.length > this.capacity) {
      const dropped = this.entries.shift()!;
      if (dropped.change && dropped.seq > this.floor) this.floor = dropped.seq;
    }
  }

  /** The index of the first feed change after `seq` (or the end), for a subscriber joining. */
  indexAfter(seq: number): number {
    for (const e of this.entries) if (e.change && e.seq > seq) return e.index;
    return this.nextIndex;
  }

  /** Entries from `index` on (those still held), up to `max`. */
  from(index: number, max: number): RingEntry[] {
    const first = this.entries[0];
    if (first === undefined) return [];
    const start = Math.max(0, index - first.index);
    return this.entries.slice(start, start + max);
  }

  /** Whether entries from `index` on are all still held. */
  holds(index: number): boolean {
    const first = this.entries[0];
    return first === undefined ? index >= this.nextIndex : index >= first.index;
  }
}
