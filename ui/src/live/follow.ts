/**
 * `GET /api/events` read with fetch and a stream reader (EventSource can send neither a
 * custom Last-Event-ID nor, were it needed, a header). Every event is handed on; the id
 * of the last complete one is kept and sent back as `Last-Event-ID` when the connection
 * is reopened, so the stream resumes with no gap and no duplicate. Reconnects with
 * backoff: 250 ms doubling to 5 s, back to 250 ms once a connection delivers.
 */
import { type SseMessage, SseParser } from './sse-parser.ts';

export type ConnectionStatus = 'connecting' | 'live' | 'reconnecting' | 'unauthorized';

export interface FollowOptions {
  url?: string;
  onMessage(message: SseMessage): void;
  onStatus(status: ConnectionStatus): void;
  signal: AbortSignal;
  /** Injected in tests. */
  fetch?: typeof fetch;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Resume after this id at the first connection. */
  lastEventId?: string;
}

export const MIN_DELAY_MS = 250;
export const MAX_DELAY_MS = 5_000;

/** The wait before reconnection attempt `failures` (1, 2, …). */
export function backoffMs(failures: number, min = MIN_DELAY_MS, max = MAX_DELAY_MS): number {
  return Math.min(max, min * 2 ** Math.max(0, failures - 1));
}

const defaultSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

/** Follows until `signal` aborts or the server refuses the token (401). Returns the last id. */
export async function followEvents(options: FollowOptions): Promise<string> {
  const doFetch = options.fetch ?? fetch.bind(globalThis);
  const sleep = options.sleep ?? defaultSleep;
  const { signal } = options;
  let lastEventId = options.lastEventId ?? '';
  let failures = 0;
  let status: ConnectionStatus | undefined;
  const report = (s: ConnectionStatus) => {
    if (s !== status) {
      status = s;
      options.onStatus(s);
    }
  };
  report('connecting');
  while (!signal.aborted) {
    const parser = new SseParser(lastEventId);
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (lastEventId !== '') headers['last-event-id'] = lastEventId;
      const response = await doFetch(options.url ?? '/api/events', {
        headers,
        credentials: 'same-origin',
        cache: 'no-store',
        signal,
      });
      if (response.status === 401) {
        report('unauthorized');
        return lastEventId;
      }
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      report('live');
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        failures = 0;
        const messages = parser.push(decoder.decode(value, { stream: true }));
        lastEventId = parser.lastEventId;
        for (const m of messages) options.onMessage(m);
      }
    } catch {
      if (signal.aborted) break;
    }
    if (signal.aborted) break;
    report('reconnecting');
    failures++;
    await sleep(
      backoffMs(failures, options.minDelayMs ?? MIN_DELAY_MS, options.maxDelayMs ?? MAX_DELAY_MS),
      signal,
    );
  }
  return lastEventId;
}
