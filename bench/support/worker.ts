/**
 * A worker process for the bench: opens the store, says `ready`, starts a worker on
 * `start`, reports what it measured on `stop`, then exits. argv[2] is a WorkerConfig.
 */
import { Kiln, type Worker } from '../../src/index.ts';
import { nowMs } from './clock.ts';
import { allJobs, sinks } from './jobs.ts';
import type { ChildMessage, ParentMessage, WorkerConfig } from './protocol.ts';
import { startRssSampler, vmHwmBytes } from './rss.ts';

const config = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
const send = (m: ChildMessage, then?: () => void): void => {
  process.send?.(m, undefined, {}, then);
};

// The parent going away (killed, crashed) must not leave this process behind.
process.on('disconnect', () => process.exit(0));

const rss = startRssSampler(10);
const kiln = await Kiln.open({ store: config.store, durability: config.durability, jobs: allJobs });
let worker: Worker | undefined;
let workerErrors = 0;
let firstError: string | null = null;
const totals = { completed: 0, startMs: 0, lastCompleteMs: 0 };

if (config.mode === 'hold') {
  sinks.onHoldStart = (attempt, atMs) => send({ type: 'started', attempt, atMs });
}

function start(): void {
  const startMs = nowMs();
  totals.startMs = startMs;
  let firstStartMs = 0;
  let completed = 0;
  let failed = 0;
  const expect = config.expect ?? Number.POSITIVE_INFINITY;
  worker = kiln.work(config.concurrency === undefined ? {} : { concurrency: config.concurrency });
  worker.events.on('error', ({ error }) => {
    workerErrors++;
    firstError ??= String((error as Error)?.stack ?? error);
  });
  worker.events.on('job:stalled', (fence) => {
    send({ type: 'stalled', attempt: fence.attempt, atMs: nowMs() });
  });
  worker.events.on('job:start', () => {
    if (firstStartMs === 0) firstStartMs = nowMs();
  });
  // Said again after each further `expect` jobs, for workloads that run rounds.
  const finished = (): void => {
    if ((completed + failed) % expect === 0) {
      send({
        type: 'done',
        startMs,
        firstStartMs,
        lastCompleteMs: nowMs(),
        completed,
        failed,
        rssBytes: process.memoryUsage.rss(),
      });
    }
  };
  worker.events.on('job:complete', () => {
    completed++;
    totals.completed = completed;
    totals.lastCompleteMs = nowMs();
    finished();
  });
  worker.events.on('job:fail', () => {
    failed++;
    finished();
  });
}

async function stop(): Promise<void> {
  await kiln.close();
  rss.stop();
  send(
    {
      type: 'report',
      latency: sinks.latency,
      progress: [...sinks.progress],
      observations: [],
      sampledPeakRssBytes: rss.peak(),
      vmHwmBytes: vmHwmBytes(),
      workerErrors,
      firstError,
      ...totals,
      cpu: process.cpuUsage(),
    },
    () => process.exit(0),
  );
}

process.on('message', (m: ParentMessage) => {
  if (m.type === 'start') start();
  else if (m.type === 'stop') {
    stop().catch((error: unknown) => {
      send({ type: 'error', message: String((error as Error)?.stack ?? error) });
      process.exit(1);
    });
  }
});

send({ type: 'ready', pid: process.pid, rssBytes: process.memoryUsage.rss() });
