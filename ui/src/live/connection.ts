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
      onMessage: (m) => applyMessage(store, m),
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
