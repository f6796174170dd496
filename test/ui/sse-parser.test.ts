/**
 * The dashboard's SSE parser (the CLI's, re-exported by ui/src/live), byte for byte: the
 * server's own frames split at every position, multi-line data, comments, ids that
 * carry over, CRLF split between chunks, and an event cut off before its blank line.
 */
import { describe, expect, it } from 'vitest';
import { frame, KEEP_ALIVE, retryFrame } from '../../src/server/events/sse.ts';
import { type SseMessage, SseParser } from '../../ui/src/live/sse-parser.ts';

const parseAll = (chunks: string[], parser = new SseParser()): SseMessage[] =>
  chunks.flatMap((c) => parser.push(c));

describe('the SSE parser', () => {
  const stream =
    retryFrame(1000) +
    frame('batch', '{"id":"b"}') +
    frame('job', '{"id":"j","seq":41}') +
    frame('snapshot', '{"position":57}', 57) +
    KEEP_ALIVE +
    frame('job', '{"id":"j","seq":58}', 58);

  it('reads the server frames, the same whatever the split', () => {
    const whole = parseAll([stream]);
    expect(whole.map((m) => [m.event, m.data, m.id, m.hasId])).toEqual([
      ['batch', '{"id":"b"}', '', false],
      ['job', '{"id":"j","seq":41}', '', false],
      ['snapshot', '{"position":57}', '57', true],
      ['job', '{"id":"j","seq":58}', '58', true],
    ]);
    for (let i = 0; i <= stream.length; i++) {
      expect(parseAll([stream.slice(0, i), stream.slice(i)]), `split at ${i}`).toEqual(whole);
    }
    expect(parseAll([...stream])).toEqual(whole);
  });

  it('joins multi-line data, skips comments, keeps the retry', () => {
    const p = new SseParser();
    const out = parseAll([': hello\n', 'data: a\ndata:b\ndata:  c\n\n', 'retry: 250\n\n'], p);
    expect(out).toEqual([{ event: 'message', data: 'a\nb\n c', id: '', hasId: false }]);
    expect(p.comments).toBe(1);
    expect(p.retryMs).toBe(250);
  });

  it('treats CRLF split across chunks as one line end', () => {
    expect(parseAll(['id: 3\r', '\nevent: job\r\ndata: x\r', '\n\r', '\n'])).toEqual([
      { event: 'job', data: 'x', id: '3', hasId: true },
    ]);
  });

  it('an event cut off before its blank line neither dispatches nor moves the id', () => {
    const p = new SseParser('10');
    expect(parseAll(['id: 11\nevent: job\ndata: {"x":1}\n'], p)).toEqual([]);
    expect(p.lastEventId).toBe('10');
    p.push('\n');
    expect(p.lastEventId).toBe('11');
  });
});
