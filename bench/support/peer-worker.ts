/**
 * A worker process of a peer queue for `npm run bench:peers`, the counterpart of
 * support/worker.ts: connects, says `ready`, starts working on `start`, says `done` once
 * `expect` jobs are completed (drain), reports on `stop`, then exits. argv[2] is a
 * PeerWorkerConfig.
 *
 * Drain's end: neither peer says when a completion is committed (graphile-worker emits
 * `job:complete` before its batched delete runs; pg-boss has no event after a batch's
 * completion), so once the handler has seen the last job start, this process polls the
 * database on a connection of its own until no job is left uncompleted, and takes that
 * moment. It is late by at most one poll (a fraction of a millisecond here) and the poll
 * runs only after the last job started.
 */
import { nowMs } from './clock.ts';
import { openWorker, type PeerName } from './peer-queues.ts';
import type { ChildMessage, ParentMessage } from './protocol.ts';
import { startRssSampler, vmHwmBytes } from './rss.ts';

export interface PeerWorkerConfig {
  peer: PeerName;
  url: string;
  schema: string;
  mode: 'drain' | 'latency';
  /** drain: jobs to wait for. */
  expect?: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as PeerWorkerConfig;
const send = (m: ChildMessage, then?: () => void): void => {
  process.send?.(m, undefined, {}, then);
};
process.on('disconnect', () => process.exit(0));

const rss = startRssSampler(10);
const latency: [number, number][] = [];
let workerErrors = 0;
let firstError: string | null = null;
const totals = { completed: 0, startMs: 0, lastCompleteMs: 0 };
let firstStartMs = 0;
let drainWatched = false;

const fail = (error: unknown): void => {
  workerErrors++;
  firstError ??= String((error as Error)?.stack ?? error);
  send({ type: 'error', message: firstError });
};

const worker = await openWorker(config.peer, config.url, config.schema, {
  noop: (count) => {
    if (firstStartMs === 0) firstStartMs = nowMs();
    const expect = config.expect ?? Number.POSITIVE_INFINITY;
    if (count >= expect && !drainWatched) {
      drainWatched = true;
      worker.drained(120_000).then(() => {
        totals.completed = expect;
        totals.lastCompleteMs = nowMs();
        send({
          type: 'done',
          startMs: totals.startMs,
          firstStartMs,
          lastCompleteMs: totals.lastCompleteMs,
          completed: expect,
          failed: 0,
          rssBytes: process.memoryUsage.rss(),
        });
      }, fail);
    }
  },
  latency: (t) => {
    latency.push([t, nowMs()]);
  },
});

process.on('message', (m: ParentMessage) => {
  if (m.type === 'start') {
    totals.startMs = nowMs();
    worker.start(config.mode).catch(fail);
  } else if (m.type === 'stop') {
    worker
      .stop()
      .catch((error: unknown) => {
        firstError ??= String((error as Error)?.stack ?? error);
      })
      .then(() => {
        rss.stop();
        send(
          {
            type: 'report',
            latency,
            progress: [],
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
      });
  }
});

send({ type: 'ready', pid: process.pid, rssBytes: process.memoryUsage.rss() });
