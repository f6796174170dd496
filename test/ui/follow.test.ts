/**
 * The dashboard's stream follower against a fake fetch: it resumes with the last
 * complete event's id as Last-Event-ID (no gap, no duplicate), reports live and
 * reconnecting, backs off 250 ms doubling to 5 s, and stops on 401.
 */
import { describe, expect, it } from 'vitest';
import { frame } from '../../src/server/events/sse.ts';
import { backoffMs, type ConnectionStatus, followEvents } from '../../ui/src/live/follow.ts';

const encoder = new TextEncoder();

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      for (const chunk of chunks) c.enqueue(encoder.encode(chunk));
      c.close();
    },
  });
}

describe('following the event stream', () => {
  it('reconnects with Last-Event-ID after a cut and delivers each event once', async () => {
    const ac = new AbortController();
    const seen: string[] = [];
    const statuses: ConnectionStatus[] = [];
    const requests: (string | undefined)[] = [];
    const sleeps: number[] = [];
    const answers: (() => Response)[] = [
      // A cut in the middle of an event: the id 7 is not complete, so resume after 5.
      () =>
        new Response(streamOf([frame('job', '{"n":1}', 5), 'id: 7\nevent: job\ndata: {"n":2}\n']), {
          status: 200,
        }),
      () => {
        throw new TypeError('fetch failed'); // the server is down
      },
      () =>
        new Response(streamOf([frame('job', '{"n":2}', 7), frame('job', '{"n":3}', 9)]), {
          status: 200,
        }),
      () => {
        ac.abort();
        throw new DOMException('aborted', 'AbortError');
      },
    ];
    const fetch = (async (_url: string, init: RequestInit) => {
      requests.push((init.headers as Record<string, string>)['last-event-id']);
      return answers.shift()!();
    }) as unknown as typeof globalThis.fetch;
    const last = await followEvents({
      signal: ac.signal,
      fetch,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      onMessage: (m) => seen.push(m.data),
      onStatus: (s) => statuses.push(s),
    });
    expect(seen).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
    expect(requests).toEqual([undefined, '5', '5', '9']);
    expect(last).toBe('9');
    expect(statuses).toEqual(['connecting', 'live', 'reconnecting', 'live', 'reconnecting']);
    expect(sleeps).toEqual([250, 500, 250]);
  });

  it('stops on 401 (the page shows the token form)', async () => {
    const statuses: ConnectionStatus[] = [];
    await followEvents({
      signal: new AbortController().signal,
      fetch: (async () => new Response('{}', { status: 401 })) as unknown as typeof fetch,
      onMessage: () => {},
      onStatus: (s) => statuses.push(s),
    });
    expect(statuses).toEqual(['connecting', 'unauthorized']);
  });

  it('backs off from 250 ms to at most 5 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map((n) => backoffMs(n))).toEqual([
      250, 500, 1000, 2000, 4000, 5000, 5000, 5000,
    ]);
  });
});
