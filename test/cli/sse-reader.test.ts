/**
 * The client's server-sent-events reader: the parser by the HTML standard's rules, fed
 * in every possible split, and the follower's resume with Last-Event-ID over a real
 * socket whose connection is cut in the middle of an event.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { ClientError, followEvents, HttpConnection } from '../../src/cli/client/index.ts';
import { type SseMessage, SseParser } from '../../src/cli/client/sse-parser.ts';

const STREAM =
  '\ufeffretry: 250\r\n' +
  ': a comment\n' +
  '\n' +
  'id: 1\nevent: job\ndata: {"a":1}\n\n' +
  'data: first line\r\ndata:second line\rdata\n\n' +
  'id: 7\n\n' + // an id with no data: nothing dispatched, the id still counts
  'event: batch\ndata:  two spaces keep one\nunknown: field\n\n' +
  'id: 8\nevent: snapshot\ndata: {}\n\n' +
  'data: never finished';

const EXPECTED: SseMessage[] = [
  { event: 'job', data: '{"a":1}', id: '1', hasId: true },
  { event: 'message', data: 'first line\nsecond line\n', id: '1', hasId: false },
  { event: 'batch', data: ' two spaces keep one', id: '7', hasId: false },
  { event: 'snapshot', data: '{}', id: '8', hasId: true },
];

describe('SseParser', () => {
  test('the whole stream in one chunk', () => {
    const p = new SseParser();
    expect(p.push(STREAM)).toEqual(EXPECTED);
    expect(p.retryMs).toBe(250);
    expect(p.comments).toBe(1);
    expect(p.lastEventId).toBe('8');
  });

  test('split at every position, and fed one character at a time', () => {
    for (let cut = 0; cut <= STREAM.length; cut++) {
      const p = new SseParser();
      const got = [...p.push(STREAM.slice(0, cut)), ...p.push(STREAM.slice(cut))];
      expect(got, `cut at ${cut}`).toEqual(EXPECTED);
    }
    const p = new SseParser();
    expect([...STREAM].flatMap((ch) => p.push(ch))).toEqual(EXPECTED);
  });

  test('CR at the end of one chunk and LF at the start of the next are one line end', () => {
    const p = new SseParser();
    expect(p.push('data: x\r')).toEqual([]);
    expect(p.push('\n\r')).toEqual([{ event: 'message', data: 'x', id: '', hasId: false }]);
    expect(p.push('\ndata: y\n\n')).toEqual([
      { event: 'message', data: 'y', id: '', hasId: false },
    ]);
  });

  test('starts from a given last event id', () => {
    expect(new SseParser('41').push('data: z\n\n')).toEqual([
      { event: 'message', data: 'z', id: '41', hasId: false },
    ]);
  });
});

describe('followEvents', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  /** A server whose `n`th connection (from 0) is answered by `handlers[n]`. */
  async function server(
    handlers: ((res: ServerResponse, headers: IncomingHttpHeaders, url: string) => void)[],
  ) {
    const seen: { headers: IncomingHttpHeaders; url: string }[] = [];
    const s = createServer((req, res) => {
      seen.push({ headers: req.headers, url: req.url ?? '' });
      const handle = handlers[Math.min(seen.length - 1, handlers.length - 1)]!;
      handle(res, req.headers, req.url ?? '');
    });
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    close = () =>
      new Promise<void>((resolve) => {
        s.closeAllConnections();
        s.close(() => resolve());
      });
    return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, seen };
  }

  const sse = (res: ServerResponse) =>
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });

  test('a connection cut mid-event is resumed with Last-Event-ID: no gap, no duplicate', async () => {
    const { url, seen } = await server([
      (res) => {
        sse(res);
        res.write('retry: 20\n\nid: 1\ndata: one\n\nid: 2\ndata: two\n\nid: 3\nda');
        // Cut in the middle of event 3: the client must not see it, and must ask after 2.
        setTimeout(() => res.socket?.destroy(), 20);
      },
      (res) => {
        sse(res);
        res.end('id: 3\ndata: three\n\nid: 4\ndata: four\n\n'); // then the server closes
      },
      (res) => {
        sse(res);
        res.write('id: 5\ndata: five\n\n');
      },
    ]);
    const reasons: string[] = [];
    const got: string[] = [];
    const connection = new HttpConnection({ url, token: 'tok' });
    for await (const m of followEvents(connection, {
      query: { batchId: 'b1' },
      onReconnect: (reason) => reasons.push(reason),
    })) {
      got.push(`${m.id}:${m.data}`);
      if (m.id === '5') break;
    }
    expect(got).toEqual(['1:one', '2:two', '3:three', '4:four', '5:five']);
    expect(seen.map((r) => r.headers['last-event-id'])).toEqual([undefined, '2', '4']);
    expect(seen.every((r) => r.url === '/api/events?batchId=b1')).toBe(true);
    expect(seen.every((r) => r.headers.authorization === 'Bearer tok')).toBe(true);
    expect(seen[0]!.headers.accept).toBe('text/event-stream');
    expect(reasons).toHaveLength(2);
    expect(reasons[1]).toBe('the server closed the stream');
  });

  test('a refusal (4xx) is thrown at once, not retried', async () => {
    const { url, seen } = await server([
      (res) => {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'BATCH_NOT_FOUND', message: 'no batch x' } }));
      },
    ]);
    const events = followEvents(new HttpConnection({ url }), { query: { batchId: 'x' } });
    const error = await events.next().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ClientError);
    expect(error).toMatchObject({ code: 'BATCH_NOT_FOUND', status: 404, message: 'no batch x' });
    expect(seen).toHaveLength(1);
  });

  test('an unreachable server is retried until giveUpMs, then reported', async () => {
    const { url } = await server([(res) => res.end()]);
    await close!();
    close = undefined;
    const started = Date.now();
    const events = followEvents(new HttpConnection({ url }), { giveUpMs: 300 });
    const error = await events.next().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'UNREACHABLE', status: null });
    expect((error as Error).message).toContain(`cannot reach the Kiln server at ${url}`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  test('an abort ends the iteration quietly', async () => {
    const { url } = await server([
      (res) => {
        sse(res);
        res.write('data: hello\n\n');
      },
    ]);
    const stop = new AbortController();
    const got: string[] = [];
    for await (const m of followEvents(new HttpConnection({ url }), { signal: stop.signal })) {
      got.push(m.data);
      stop.abort();
    }
    expect(got).toEqual(['hello']);
  });
});
