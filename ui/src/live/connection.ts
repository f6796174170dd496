/**
 * The one event-stream connection of the page: every `job` and `batch` event goes into
 * the store; the status (live, reconnecting) is shown in the header.
 */
import type { BatchBody, JobBody } from '../api/types.ts';
import { type ConnectionStatus, followEvents } from './follow.ts';
import type { SseMessage } from './sse-parser.ts';
import { type LiveStore, store } from './store.ts';

type StatusListener = (status: ConnectionStatus) => void;

export function applyMessage(target: LiveStore, message: SseMessage): void {
  if (message.event !== 'job' && message.event !== 'batch') return;
  let body: unknown;
  try {
    body = JSON.parse(message.data);
  } catch {
    return;
  }
  // A batch's aggregate comes on the stream whenever its jobs changed, also to a stream
  // resumed from the store (src/server/events/stream.ts): nothing to read back here.
  if (message.event === 'job') target.putJob(body as JobBody);
  else target.putBatch(body as BatchBody);
}

let status: ConnectionStatus = 'connecting';
const statusListeners = new Set<StatusListener>();
let controller: AbortController | undefined;

/**
 * Whether the stream has sent its `snapshot` event: from then on every change after the
 * stream's starting point reaches the store (a dropped connection resumes by
 * Last-Event-ID from there). `started` resolves at that moment; a stop (the token form)
 * makes a new one, since the next stream starts afresh, later.
 */
let isStarted = false;
let markStarted: () => void = () => {};
let started = new Promise<void>((resolve) => {
  markStarted = resolve;
});
function resetStarted(): void {
  if (!isStarted) return; // still waiting: the same promise serves the next stream
  isStarted = false;
  started = new Promise<void>((resolve) => {
    markStarted = resolve;
  });
}

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
      onMessage: (m) => {
        applyMessage(store, m);
        if (m.event === 'snapshot' && !isStarted) {
          isStarted = true;
          markStarted();
        }
      },
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
    resetStarted();
  },
};

/**
 * Runs `read` (an HTTP read into the store) now, and once more (`again`, by default the
 * same) after the event stream has started if it had not when this read began.
 *
 * Why: a page's first read and the page's stream begin together, and the stream's
 * snapshot carries recent batches but no jobs; after it, the stream sends only changes
 * after its starting point (src/server/events/stream.ts). A change committed after the
 * read and before that point is in neither: the page would show the job as read (say,
 * running) until a reload. A read begun after the stream's snapshot is no older than its
 * starting point, so with it every later change arrives on the stream; the store keeps
 * the newer of the two rows by seq, so reading twice never moves anything backwards.
 * The first read is not held back for the stream, so a page still shows its data while
 * the stream cannot connect (or a proxy holds its bytes back).
 */
export async function readSynced(
  read: () => Promise<void>,
  again: () => Promise<void> = read,
): Promise<void> {
  const fresh = isStarted;
  await read();
  if (fresh) return;
  await started;
  await again();
}

/** Whether a read begun now is no older than the stream's starting point (see readSynced). */
export function streamStarted(): boolean {
  return isStarted;
}

/** Resolves once the stream has started (see readSynced). */
export function whenStreamStarted(): Promise<void> {
  return started;
}
