/**
 * The one event-stream connection of the page: every `job` and `batch` event goes into
 * the store; the status (live, reconnecting) is shown in the header.
 */
import { api } from '../api/index.ts';
import type { BatchBody, JobBody } from '../api/types.ts';
import { type ConnectionStatus, followEvents } from './follow.ts';
import type { SseMessage } from './sse-parser.ts';
import { type LiveStore, store } from './store.ts';

type StatusListener = (status: ConnectionStatus) => void;

/**
 * The stream sends a batch's aggregate while its jobs change, from the server's ring. A
 * stream resumed from the store (after a restart, or a client that fell behind) gets the
 * jobs' changes but no aggregate for them: a batch whose jobs changed without its
 * aggregate following within `AGGREGATE_WAIT_MS` is read once from the API.
 */
export const AGGREGATE_WAIT_MS = 1_000;

export class AggregateWatch {
  private readonly waiting = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly refresh: (batchId: string) => void;
  constructor(refresh: (batchId: string) => void) {
    this.refresh = refresh;
  }
  jobChanged(batchId: string): void {
    if (this.waiting.has(batchId)) return;
    this.waiting.set(
      batchId,
      setTimeout(() => {
        this.waiting.delete(batchId);
        this.refresh(batchId);
      }, AGGREGATE_WAIT_MS),
    );
  }
  batchSeen(batchId: string): void {
    clearTimeout(this.waiting.get(batchId));
    this.waiting.delete(batchId);
  }
}

export function applyMessage(target: LiveStore, message: SseMessage, watch?: AggregateWatch): void {
  if (message.event !== 'job' && message.event !== 'batch') return;
  let body: unknown;
  try {
    body = JSON.parse(message.data);
  } catch {
    return;
  }
  if (message.event === 'job') {
    const job = body as JobBody;
    if (target.putJob(job) && job.batchId !== null) watch?.jobChanged(job.batchId);
  } else {
    target.putBatch(body as BatchBody);
    watch?.batchSeen((body as BatchBody).id);
  }
}

const watch = new AggregateWatch((batchId) => {
  api.batch(batchId).then(
    (b) => store.putBatch(b),
    () => {},
  );
});

let status: ConnectionStatus = 'connecting';
const statusListeners = new Set<StatusListener>();
let controller: AbortController | undefined;

export const connection = {
  get status(): ConnectionStatus {
    return status;
  },
  subscribe(listener: StatusListener): () => void {
    statusListeners.add(listener);
    return () => statusListeners.delete(listener);
  },
  start(onUnauthorized: () => void): void {
    if (controller) return;
    controller = new AbortController();
    const current = controller;
    void followEvents({
      signal: current.signal,
      onMessage: (m) => applyMessage(store, m, watch),
      onStatus: (s) => {
        status = s;
        for (const l of statusListeners) l(s);
        if (s === 'unauthorized') {
          controller = undefined;
          onUnauthorized();
        }
      },
    });
  },
  stop(): void {
    controller?.abort();
    controller = undefined;
  },
};
