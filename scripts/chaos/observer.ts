/**
 * An observer: a process of its own that follows the server's event stream for the whole
 * run, as a dashboard or a client program would, and reads jobs over HTTP beside it.
 * `node observer.ts <baseUrl> <reportFile> <seed>`.
 *
 * The stream is `GET /api/events` through the CLI's follower (src/cli/client), which
 * reconnects with Last-Event-ID when the server is killed, so the observer sees every
 * change after its first connection once, whatever the restarts. Every job sighting,
 * streamed or read, goes through JobViews (consistency.ts); streamed and read sightings
 * are kept apart, since a read may begin before an event it then returns after.
 *
 * Stdout: `{"ready":true}` at the first event, then a status line every 250 ms (jobs
 * seen, how many terminal) that the harness waits on. On SIGTERM it writes its report
 * (counts, the first violations, each job's last streamed state) and exits.
 */
import { writeFileSync, writeSync } from 'node:fs';
import { followEvents } from '../../src/cli/client/follow-events.ts';
import { HttpConnection } from '../../src/cli/client/http.ts';
import { JobViews, TERMINAL, type Violation, type WireJob } from './consistency.ts';
import { Prng } from './prng.ts';

const [baseUrl, reportFile, seedArg] = process.argv.slice(2);
const connection = new HttpConnection({ url: baseUrl! });
const rng = new Prng(Number(seedArg));
const stopping = new AbortController();
const print = (value: unknown) => writeSync(1, `${JSON.stringify(value)}\n`);

const streamed = new JobViews();
const read = new JobViews();
const counts = { torn: 0, backward: 0, afterTerminal: 0, completedTwice: 0 };
const examples: (Violation & { via: string })[] = [];
let streamError: string | null = null;
const stats = { events: 0, jobEvents: 0, reconnects: 0, reads: 0, readErrors: 0, listReads: 0 };
/** Ids of jobs not yet seen terminal in the stream: what the reader picks from. */
const open: string[] = [];
const openIndex = new Map<string, number>();

function record(violations: Violation[], via: string): void {
  for (const v of violations) {
    counts[v.kind]++;
    if (examples.length < 20) examples.push({ ...v, via });
  }
}

function forget(id: string): void {
  const i = openIndex.get(id);
  if (i === undefined) return;
  const last = open.pop()!;
  if (last !== id) {
    open[i] = last;
    openIndex.set(last, i);
  }
  openIndex.delete(id);
}

async function follow(): Promise<void> {
  let ready = false;
  const events = followEvents(connection, {
    signal: stopping.signal,
    // A server restart takes a few seconds on a loaded machine; a minute means it is gone.
    giveUpMs: 60_000,
    onReconnect: () => {
      stats.reconnects++;
    },
  });
  for await (const message of events) {
    stats.events++;
    if (!ready) {
      ready = true;
      print({ ready: true, pid: process.pid });
    }
    if (message.event !== 'job') continue;
    stats.jobEvents++;
    const job = JSON.parse(message.data) as WireJob;
    const known = streamed.jobs.has(job.id);
    record(streamed.see(job), 'stream');
    if (TERMINAL.has(job.state)) forget(job.id);
    else if (!known) {
      openIndex.set(job.id, open.length);
      open.push(job.id);
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Reads running and pending jobs over HTTP: one job at a time, picked at random among
 * those not yet finished, and every so often a page of running jobs (list reads go
 * through another query than single reads).
 */
async function readLoop(): Promise<void> {
  for (let n = 0; !stopping.signal.aborted; n++) {
    try {
      if (n % 20 === 19) {
        const page = await connection.json<{ items: WireJob[] }>('GET', '/api/jobs', {
          query: { state: 'running', limit: 200 },
          signal: AbortSignal.timeout(10_000),
        });
        stats.listReads++;
        for (const job of page.items) record(read.see(job), 'list');
      } else if (open.length > 0) {
        const id = open[Math.floor(rng.next() * open.length)]!;
        const job = await connection.json<WireJob>('GET', `/api/jobs/${id}`, {
          signal: AbortSignal.timeout(10_000),
        });
        stats.reads++;
        record(read.see(job), 'read');
      }
    } catch {
      // The server is down (the driver killed it) or slow: try again shortly.
      stats.readErrors++;
      await sleep(100);
    }
    await sleep(20);
  }
}

const status = setInterval(
  () =>
    print({
      status: true,
      jobs: streamed.jobs.size,
      terminal: streamed.terminalCount,
      events: stats.events,
      reconnects: stats.reconnects,
    }),
  250,
);

process.once('SIGTERM', () => {
  stopping.abort();
  clearInterval(status);
  const final: Record<string, string> = {};
  for (const [id, seen] of streamed.jobs) final[id] = `${seen.state}:${seen.attempt}`;
  writeFileSync(
    reportFile!,
    JSON.stringify({
      ...stats,
      ...counts,
      streamError,
      repeats: streamed.repeats,
      examples,
      final,
    }),
  );
  process.exit(0);
});

void readLoop();
try {
  await follow();
} catch (error) {
  // The stream gave up (the server stayed away a minute): the report will show it.
  streamError = String(error);
  print({ streamError });
}
