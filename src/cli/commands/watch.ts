import type { Batch, Job } from '../../core/model.ts';
import { EXIT, type KilnClient, reviveBatch, reviveJob } from '../client/index.ts';
import { TerminalProgress } from '../terminal-progress.ts';
import {
  CONNECTION_HELP,
  clientCommand,
  connect,
  type Io,
  JSON_OPTION,
  parseCommand,
  printJson,
} from './common.ts';
import { type Found, findJobOrBatch } from './lookup.ts';

const HELP = `Usage: kiln watch <batch-or-job-id> [options]

Follows a batch (every job's progress and the batch total) or one job live from the
server's event stream until it ends. In a terminal: progress bars redrawn in place.
Piped: one plain line per change. A dropped connection is resumed where it stopped.

Exit code 0 when every job completed, 1 when any failed or was cancelled, 130 when
interrupted (Ctrl-C).

Options:
      --json                 Print the stream's events as NDJSON, one
                             {"event","id","data"} object per line
${CONNECTION_HELP}
`;

const JOB_ENDS = new Set(['completed', 'failed', 'cancelled']);
const BATCH_ENDS = new Set(['completed', 'failed', 'cancelled']);
/** How often a terminal's view re-reads the batch, so the ETA moves while jobs are quiet. */
const REFRESH_MS = 2_000;
const INTERRUPTED = 130;

export const watch = clientCommand('watch', HELP, async (args, io) => {
  const { values, positionals } = parseCommand('watch', args, JSON_OPTION, {
    min: 1,
    max: 1,
    names: 'the id: kiln watch <batch-or-job-id>',
  });
  const client = connect(values, io.env);
  const target = await findJobOrBatch(client, positionals[0]!);
  return follow(client, target, io, values.json === true);
});

/** The watched thing as last seen; `ended` once it reached a final state. */
class Watched {
  job: Job | null;
  batch: Batch | null;
  constructor(target: Found) {
    this.job = target.kind === 'job' ? target.job : null;
    this.batch = target.kind === 'batch' ? target.batch : null;
  }
  get id(): string {
    return (this.batch?.id ?? this.job?.id)!;
  }
  get ended(): boolean {
    return this.batch ? BATCH_ENDS.has(this.batch.state) : JOB_ENDS.has(this.job!.state);
  }
  get exitCode(): number {
    const ok = this.batch
      ? this.batch.counts.completed === this.batch.counts.total
      : this.job!.state === 'completed';
    return ok ? EXIT.ok : EXIT.failed;
  }
}

async function follow(client: KilnClient, target: Found, io: Io, json: boolean): Promise<number> {
  const watched = new Watched(target);
  const isBatch = target.kind === 'batch';
  const view = json ? null : new TerminalProgress(io.out, { batchLine: isBatch });
  const live = !json && io.out.isTTY === true;
  const stop = new AbortController();
  const interrupt = () => stop.abort();
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);

  let ticker: NodeJS.Timeout | undefined;
  if (live && isBatch) {
    // Only redrawn views poll: a stale read there is overdrawn within a frame, while in
    // plain output it would print a line going backwards.
    ticker = setInterval(() => {
      client.batches
        .get(watched.id)
        .then((b) => {
          watched.batch = b;
          view?.updateBatch(b);
          if (watched.ended) stop.abort();
        })
        .catch(() => {}); // the stream reports a server that went away
    }, REFRESH_MS);
  }

  try {
    // Something on screen at once; plain lines wait for the snapshot, so that they come
    // in order: the jobs, then the batch.
    if (live && watched.batch) view?.updateBatch(watched.batch);
    if (live && watched.job) view?.updateJob(watched.job);
    // The snapshot lists a batch's jobs newest first: they are shown in creation order
    // (ids are time-ordered) once it is complete. It ends with a `snapshot` event; a
    // resumed stream has none, and its events carry ids.
    let snapshot: Job[] | null = [];
    const events = client.events({
      query: isBatch ? { batchId: watched.id } : { jobId: watched.id },
      signal: stop.signal,
      onReconnect: (reason) => {
        if (!live) io.err.write(`kiln: event stream lost (${reason}); resuming\n`);
      },
    });
    for await (const message of events) {
      const data = parse(message.data);
      if (json) {
        const id = message.hasId ? message.id : null;
        printJson(io.out, { event: message.event, id, data });
      }
      if (message.event === 'job') {
        const job = reviveJob(data);
        if (job.id === watched.job?.id) watched.job = job;
        if (snapshot) snapshot.push(job);
        else view?.updateJob(job);
      } else if (message.event === 'batch') {
        const batch = reviveBatch(data);
        if (batch.id === watched.batch?.id) {
          watched.batch = batch;
          if (!snapshot) view?.updateBatch(batch);
        }
      }
      if (snapshot && (message.event === 'snapshot' || message.hasId)) {
        for (const job of snapshot.sort(byId)) view?.updateJob(job);
        if (watched.batch) view?.updateBatch(watched.batch);
        snapshot = null;
      }
      if (!snapshot && watched.ended) break;
    }
  } finally {
    clearInterval(ticker);
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
  if (!watched.ended) {
    view?.stop();
    return INTERRUPTED;
  }
  if (view && watched.batch) {
    // The final figures and every job's final state, read once the batch has ended.
    const [batch, jobs] = await Promise.all([
      client.batches.get(watched.id),
      client.batches.jobs(watched.id),
    ]);
    for (const job of jobs) view.updateJob(job);
    view.updateBatch(batch);
    watched.batch = batch;
  }
  view?.stop();
  return watched.exitCode;
}

const byId = (a: Job, b: Job) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function parse(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}
