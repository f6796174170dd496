/** Messages between the bench process and its worker and watcher child processes (IPC). */
import type { Durability } from '../../src/index.ts';

export type WorkerMode = 'drain' | 'latency' | 'progress' | 'hold';

export interface WorkerConfig {
  /** Store URL, `sqlite:<path>`. */
  store: string;
  durability: Durability;
  mode: WorkerMode;
  /** Passed to kiln.work(); omitted means the worker's default. */
  concurrency?: number;
  /** drain, progress: report `done` each time another this many jobs finished. */
  expect?: number;
}

export interface WatcherConfig {
  store: string;
  durability: Durability;
  /** Stop once this many distinct jobs were seen completed. */
  expect: number;
  /** Say `seen` each time another this many jobs were seen completed. */
  roundSize?: number;
}

/** One job change as the watcher saw it: [job id, attempt, progress, state, seen at]. */
export type Observation = [string, number, number, string, number];

/** The server process of W7 and W8: `kiln serve` in all but the CLI. */
export interface ServerConfig {
  store: string;
  durability: Durability;
  /** Start an embedded worker (of this concurrency) on `start`; none if omitted. */
  concurrency?: number;
}

/** W8's event-stream clients, all in one process. */
export interface FanoutConfig {
  url: string;
  batchId: string;
  clients: number;
  /** The batch's job ids: observations are kept by index. */
  jobIds: string[];
  /** Progress reports per job (the handler's message is the report's number). */
  reports: number;
}

export type ParentMessage = { type: 'start' } | { type: 'stop' };

export type ChildMessage =
  | { type: 'ready'; pid: number; rssBytes: number; url?: string }
  /**
   * W8: for each client, job and report (flattened in that order), when the client first
   * saw that report or a later one of the job (nowMs()); 0 if never.
   */
  | { type: 'fanout'; covered: Float64Array; events: number; bytes: number }
  | {
      type: 'done';
      /** When the worker was started (the start message arrived), nowMs(). */
      startMs: number;
      /** First handler start (job:start event). */
      firstStartMs: number;
      /** The commit that completed the last job of this `expect` (job:complete event). */
      lastCompleteMs: number;
      /** Since `start`: counts run on across rounds. */
      completed: number;
      failed: number;
      rssBytes: number;
    }
  | { type: 'started'; attempt: number; atMs: number }
  /** The watcher saw this many distinct jobs completed (WatcherConfig.roundSize). */
  | { type: 'seen'; completed: number }
  /** This worker reclaimed another worker's expired attempt (job:stalled). */
  | { type: 'stalled'; attempt: number; atMs: number }
  | {
      type: 'report';
      latency: [number, number][];
      progress: [string, number[]][];
      observations: Observation[];
      /** Highest process.memoryUsage.rss() seen by a 10 ms sampler. */
      sampledPeakRssBytes: number;
      /** VmHWM from /proc/self/status (peak resident set), when available. */
      vmHwmBytes: number | null;
      workerErrors: number;
      firstError: string | null;
      /** Workers: jobs completed since `start`, and when it started and the last completed. */
      completed?: number;
      startMs?: number;
      lastCompleteMs?: number;
      /** process.cpuUsage() of the child, microseconds. */
      cpu: { user: number; system: number };
    }
  | { type: 'error'; message: string };
