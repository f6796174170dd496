/** One server-sent event, as the HTML standard's parser dispatches it. */
export interface SseMessage {
  /** The `event:` field; `message` when the server sent none. */
  event: string;
  data: string;
  /** The last event id so far, this event's included (it carries over to later events). */
  id: string;
  /** Whether this event had an `id:` line of its own. */
  hasId: boolean;
}

/**
 * A server-sent events parser, by the HTML standard's rules ("Parsing an event
 * stream"): lines end in CRLF, LF or CR; `:` starts a comment; one space after the
 * colon is dropped; `data:` lines join with "\n"; a blank line dispatches; an event with
 * no data is not dispatched, but its `id:` still counts. An id counts only once its
 * event is complete: a stream cut inside an event resumes before it. Fed text chunks as they come,
 * split anywhere (a CR at the end of one chunk and an LF at the start of the next are
 * one line end).
 *
 * Written here rather than taken from a library: Node 24 has EventSource only behind
 * --experimental-eventsource, and the standard EventSource cannot send an
 * Authorization header; the parser is 60 lines.
 */
export class SseParser {
  private buffer = '';
  private afterCr = false;
  private started = false;
  private event = '';
  private data: string[] = [];
  /** The `id:` of the event being read; it becomes the last event id only when dispatched. */
  private idBuffer = '';
  private idSeen = false;
  private id = '';
  /** The reconnection delay the server asked for with `retry:`, if it did. */
  retryMs: number | undefined;
  /** Comments seen (keep-alives); a caller may watch this to know the stream is alive. */
  comments = 0;

  constructor(lastEventId = '') {
    this.id = lastEventId;
    this.idBuffer = lastEventId;
  }

  /** The id to resume after: that of the last complete event (a cut-off one does not count). */
  get lastEventId(): string {
    return this.id;
  }

  /** Parses a chunk of text; returns the events it completed. */
  push(chunk: string): SseMessage[] {
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.afterCr && text.startsWith('\n')) text = text.slice(1);
    this.afterCr = false;
    this.buffer += text;
    const out: SseMessage[] = [];
    for (;;) {
      const end = this.buffer.search(/[\r\n]/);
      if (end === -1) break;
      const line = this.buffer.slice(0, end);
      let next = end + 1;
      if (this.buffer[end] === '\r') {
        if (next === this.buffer.length) this.afterCr = true;
        else if (this.buffer[next] === '\n') next++;
      }
      this.buffer = this.buffer.slice(next);
      const message = this.line(line);
      if (message) out.push(message);
    }
    return out;
  }

  private line(line: string): SseMessage | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) {
      this.comments++;
      return undefined;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) {
      this.idBuffer = value;
      this.idSeen = true;
    } else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
    return undefined;
  }

  private dispatch(): SseMessage | undefined {
    this.id = this.idBuffer;
    const event = this.event || 'message';
    const data = this.data;
    const hasId = this.idSeen;
    this.event = '';
    this.data = [];
    this.idSeen = false;
    if (data.length === 0) return undefined;
    return { event, data: data.join('\n'), id: this.id, hasId };
  }
}
