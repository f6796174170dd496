import { afterEach, describe, expect, test } from 'vitest';
import type { Batch, Job } from '../../src/index.ts';
import { frame, KEEP_ALIVE, retryFrame } from '../../src/server/events/sse.ts';
import { codeOf, waitFor } from '../support/helpers.ts';
import { useKiln } from '../support/library.ts';
import { openSse, type SseClient, type SseEvent } from '../support/sse.ts';
import { testJob } from '../support/test-jobs.ts';
import { eventsServer } from './events-support.ts';

const openKiln = useKiln();
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function setup(options: Parameters<typeof eventsServer>[1] = {}) {
  const t = await openKiln({ jobs: [testJob] });
  const server = await eventsServer(t.kiln, options);
  closers.push(() => server.close());
  const sse = async (query = '', headers: Record<string, string> = {}, comments = false) => {
    const client = await openSse(`${server.url}/api/events${query}`, { headers, comments });
    closers.push(() => client.close());
    return client;
  };
  return { ...t, server, sse };
}

/** Reads events until one satisfies `done`; returns all of them. */
async function readUntil(client: SseClient, done: (e: SseEvent) => boolean): Promise<SseEvent[]> {
  const seen: SseEvent[] = [];
  for (;;) {
    const e = await client.next();
    seen.push(e);
    if (done(e)) return seen;
  }
}

const job = (e: SseEvent): Job => JSON.parse(e.data) as Job;

describe('SSE frames', () => {
  test('are written byte for byte as the spec says', () => {
    expect(frame('job', '{"a":1}')).toBe('event: job\ndata: {"a":1}\n\n');
    expect(frame('job', '{"a":1}', 42)).toBe('id: 42\nevent: job\ndata: {"a":1}\n\n');
    expect(KEEP_ALIVE).toBe(': keep-alive\n\n');
    expect(retryFrame(1000)).toBe('retry: 1000\n\n');
  });
});

describe('GET /api/events', () => {
  test('starts with a snapshot of the batch, then streams its changes', async () => {
    const { kiln, sse, work } = await setup();
    const batch = await kiln.batches.create({
      name: 'three',
      jobs: [0, 1, 2].map((i) => ({ type: 'test', params: { value: i } })),
    });
    const client = await sse(`?batchId=${batch.id}`);
    expect(client.status).toBe(200);
    const snapshot = await readUntil(client, (e) => e.event === 'snapshot');
    expect(snapshot.map((e) => e.event)).toEqual(['batch', 'job', 'job', 'job', 'snapshot']);
    expect((JSON.parse(snapshot[0]!.data) as Batch).counts.pending).toBe(3);
    const position = JSON.parse(snapshot[4]!.data).position as number;
    expect(snapshot[4]!.id).toBe(String(position));
    expect(snapshot.slice(0, 4).every((e) => e.id === undefined)).toBe(true);
    // The raw bytes: the retry hint first, then the frames exactly.
    expect(client.raw().startsWith(`retry: 1000\n\nevent: batch\ndata: {`)).toBe(true);
    expect(client.raw()).toContain(
      `id: ${position}\nevent: snapshot\ndata: {"position":${position}}\n\n`,
    );

    work();
    const finalStates = new Map<string, string>();
    let finished: Batch | undefined;
    for (const e of await readUntil(client, (e) => {
      if (e.event === 'batch' && (JSON.parse(e.data) as Batch).state === 'completed') return true;
      return false;
    })) {
      if (e.event === 'job') finalStates.set(job(e).id, job(e).state);
      if (e.event === 'batch') finished = JSON.parse(e.data) as Batch;
    }
    expect(finished?.counts.completed).toBe(3);
    expect([...finalStates.values()].every((s) => s === 'completed')).toBe(true);
  });

  test('a dropped connection resumes from Last-Event-ID with no gap and no duplicate', async () => {
    const { kiln, sse, work } = await setup();
    const first = await sse();
    await readUntil(first, (e) => e.event === 'snapshot');
    work({ concurrency: 10 });
    const n = 60;
    await kiln.enqueueMany(
      Array.from({ length: n }, (_, i) => ({
        job: 'test',
        params: { action: 'progress', steps: 5, ms: 20, value: i },
      })),
    );
    // Read until a third of the jobs completed, then drop the connection.
    const seen: { seq: number; job: Job }[] = [];
    let lastId: number | undefined;
    const completed = () =>
      new Set(seen.filter((s) => s.job.state === 'completed').map((s) => s.job.id));
    while (completed().size < n / 3) {
      const e = await first.next();
      if (e.event !== 'job') continue;
      seen.push({ seq: job(e).seq, job: job(e) });
      if (e.id !== undefined) lastId = Number(e.id);
    }
    first.close();
    expect(lastId).toBeDefined();
    // Events after the last id received belong to a transaction the client never saw
    // whole: they come again after the resume, and nothing else does.
    const kept = seen.filter((s) => s.seq <= lastId!);
    const second = await sse('', { 'last-event-id': String(lastId) });
    const resumed: { seq: number; job: Job }[] = [];
    const done = new Set(kept.filter((s) => s.job.state === 'completed').map((s) => s.job.id));
    while (done.size < n) {
      const e = await second.next();
      if (e.event !== 'job') continue;
      resumed.push({ seq: job(e).seq, job: job(e) });
      if (job(e).state === 'completed') done.add(job(e).id);
    }
    // No duplicate: nothing at or before the resume position comes again.
    expect(resumed.every((r) => r.seq > lastId!)).toBe(true);
    // No gap: every job's final state arrived, and each job's seqs only rise.
    const all = [...kept, ...resumed];
    const stored = await kiln.jobs.list({ limit: 1000 });
    for (const j of stored.items) {
      const mine = all.filter((a) => a.job.id === j.id);
      expect(mine.at(-1)?.job.state).toBe('completed');
      expect(mine.at(-1)?.seq).toBe(j.seq);
      for (let i = 1; i < mine.length; i++) expect(mine[i]!.seq).toBeGreaterThan(mine[i - 1]!.seq);
    }
  });

  test('only the last event of a transaction carries the id', async () => {
    const { kiln, sse } = await setup();
    const client = await sse();
    await readUntil(client, (e) => e.event === 'snapshot');
    // One enqueue of five jobs is one transaction: five events, one id, on the last.
    await kiln.enqueueMany(
      Array.from({ length: 5 }, (_, i) => ({ job: 'test', params: { value: i } })),
    );
    const events: SseEvent[] = [];
    while (events.length < 5) {
      const e = await client.next();
      if (e.event === 'job') events.push(e);
    }
    const seqs = new Set(events.map((e) => job(e).seq));
    expect(seqs.size).toBe(1);
    expect(events.map((e) => e.id)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      String([...seqs][0]),
    ]);
  });

  test('one job: its snapshot, then its changes only', async () => {
    const { kiln, sse, work } = await setup();
    const other = await kiln.enqueue('test', { value: 'other' });
    const mine = await kiln.enqueue('test', { action: 'progress', steps: 4, ms: 40 });
    const client = await sse(`?jobId=${mine.id}`);
    const snapshot = await readUntil(client, (e) => e.event === 'snapshot');
    expect(snapshot.map((e) => e.event)).toEqual(['job', 'snapshot']);
    work();
    const events = await readUntil(
      client,
      (e) => e.event === 'job' && job(e).state === 'completed',
    );
    expect(events.every((e) => e.event === 'job' && job(e).id === mine.id)).toBe(true);
    const progress = events.map((e) => job(e).progress);
    for (let i = 1; i < progress.length; i++)
      expect(progress[i]).toBeGreaterThanOrEqual(progress[i - 1]!);
    expect(other.id).not.toBe(mine.id);
  });

  test('a keep-alive comment when nothing happens', async () => {
    const { sse } = await setup({ keepAliveMs: 50 });
    const client = await sse('', {}, true);
    await readUntil(client, (e) => e.event === 'snapshot');
    const e = await client.next();
    expect(e.event).toBe('comment');
    expect(client.raw().endsWith('\n\n: keep-alive\n\n')).toBe(true);
  });

  test('a slow client costs no memory: behind the ring, it reads the store and misses nothing', async () => {
    const { kiln, sse, server } = await setup({ ringCapacity: 20 });
    const client = await sse();
    await readUntil(client, (e) => e.event === 'snapshot');
    // The client reads nothing while 500 jobs are enqueued in 50 transactions.
    for (let b = 0; b < 50; b++) {
      await kiln.enqueueMany(
        Array.from({ length: 10 }, (_, i) => ({ job: 'test', params: { value: b * 10 + i } })),
      );
    }
    await waitFor(() => (server.hub.ring?.end ?? 0) >= 500, {
      what: 'the hub to read every change',
    });
    expect(server.hub.ring!.size).toBeLessThanOrEqual(20);
    const ids = new Set<string>();
    while (ids.size < 500) {
      const e = await client.next();
      if (e.event === 'job') ids.add(job(e).id);
    }
    expect(ids.size).toBe(500);
  });

  test('a client resuming from the store gets the aggregates of the batches whose jobs changed', async () => {
    const { kiln, sse, work } = await setup();
    // Every change of the batch happens while no client follows (as across a server
    // restart): the resumed client reads them from the store, not from the hub's ring.
    const batch = await kiln.batches.create({
      name: 'caught up',
      jobs: Array.from({ length: 40 }, (_, i) => ({ type: 'test', params: { value: i } })),
    });
    // After the batch's own row: from here on only its jobs change.
    const from = await kiln.store.currentSeq();
    work({ concurrency: 10 });
    await waitFor(async () => (await kiln.batches.get(batch.id))?.state === 'completed', {
      what: 'the batch to complete',
    });
    const client = await sse('', { 'last-event-id': String(from) });
    const seen = await readUntil(
      client,
      (e) => e.event === 'batch' && (JSON.parse(e.data) as Batch).counts.completed === 40,
    );
    expect(JSON.parse(seen.at(-1)!.data) as Batch).toMatchObject({
      id: batch.id,
      state: 'completed',
    });
  });

  test('bad input: a malformed id, an unknown batch or job, an unknown parameter', async () => {
    const { server } = await setup();
    const get = async (q: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`${server.url}/api/events${q}`, { headers });
      return { status: res.status, body: (await res.json()) as { error: { code: string } } };
    };
    expect(await get('', { 'last-event-id': 'abc' })).toMatchObject({
      status: 400,
      body: { error: { code: 'INVALID_ARGUMENT' } },
    });
    expect(await get('?batchId=0190d1a0-0000-7000-8000-000000000000')).toMatchObject({
      status: 404,
      body: { error: { code: 'BATCH_NOT_FOUND' } },
    });
    expect(await get('?jobId=nope')).toMatchObject({
      status: 404,
      body: { error: { code: 'JOB_NOT_FOUND' } },
    });
    expect((await get('?bogus=1')).status).toBe(400);
    void codeOf;
  });

  test('the follower stops when the last client leaves', async () => {
    const { sse, server } = await setup();
    const a = await sse();
    const b = await sse();
    await readUntil(a, (e) => e.event === 'snapshot');
    await readUntil(b, (e) => e.event === 'snapshot');
    expect(server.hub.subscriberCount).toBe(2);
    a.close();
    b.close();
    await waitFor(() => server.hub.subscriberCount === 0, { what: 'both streams to end' });
    expect(server.hub.position).toBeUndefined();
  });
});
