import { setTimeout as sleep } from 'node:timers/promises';
import { ClientError } from './errors.ts';
import type { HttpConnection, Query } from './http.ts';
import { type SseMessage, SseParser } from './sse-parser.ts';

export interface FollowOptions {
  /** `batchId` or `jobId` to narrow the stream. */
  query?: Query;
  /** Resume after this event id (a change-feed position) instead of from a snapshot. */
  lastEventId?: string;
  signal?: AbortSignal;
  /** How long a stream that keeps failing is retried before giving up. Default 60 s. */
  giveUpMs?: number;
  /** Called before each reconnection, with why the last connection ended. */
  onReconnect?: (reason: string) => void;
}

/** The wait before reconnecting when the server set no `retry:`. */
const DEFAULT_RETRY_MS = 1_000;

/**
 * `GET /api/events` as an endless sequence of events. A dropped connection (a server
 * restart, a network blip, the server shedding a slow client) is reopened with
 * `Last-Event-ID`, so the events continue with no gap and no duplicate. Ends when
 * `signal` aborts or the consumer stops iterating; throws when the server refuses the
 * stream (4xx) or stays unreachable for `giveUpMs`.
 */
export async function* followEvents(
  connection: HttpConnection,
  options: FollowOptions = {},
): AsyncGenerator<SseMessage, void, undefined> {
  const { signal, giveUpMs = 60_000 } = options;
  let lastEventId = options.lastEventId ?? '';
  let retryMs = DEFAULT_RETRY_MS;
  let failingSince: number | undefined;
  while (!signal?.aborted) {
    let reason: string;
    const parser = new SseParser(lastEventId);
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (lastEventId !== '') headers['last-event-id'] = lastEventId;
      const response = await connection.send('GET', '/api/events', {
        headers,
        ...(options.query ? { query: options.query } : {}),
        ...(signal ? { signal } : {}),
      });
      if (!response.body) throw new ClientError('HTTP_NO_BODY', 'event stream without a body', 0);
      const decoder = new TextDecoder();
      for await (const chunk of response.body) {
        // Bytes arrived: the server is back, whatever failed before.
        failingSince = undefined;
        const messages = parser.push(decoder.decode(chunk, { stream: true }));
        lastEventId = parser.lastEventId;
        for (const message of messages) yield message;
      }
      reason = 'the server closed the stream';
    } catch (error) {
      if (signal?.aborted) return;
      // A refusal (bad filter, unknown id, wrong token) will not change on a retry.
      if (error instanceof ClientError && error.status !== null && error.status < 500) throw error;
      failingSince ??= Date.now();
      if (Date.now() - failingSince > giveUpMs) throw error;
      reason = error instanceof Error ? error.message : String(error);
    } finally {
      lastEventId = parser.lastEventId;
      if (parser.retryMs !== undefined) retryMs = parser.retryMs;
    }
    options.onReconnect?.(reason);
    try {
      await sleep(retryMs, undefined, signal ? { signal } : {});
    } catch {
      return; // aborted while waiting
    }
  }
}
