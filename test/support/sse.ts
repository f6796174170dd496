/**
 * A test client for `text/event-stream`: reads the raw bytes (kept, for byte-for-byte
 * checks) and parses them into events as the spec says (id, event, data; comments).
 */
export interface SseEvent {
  id: string | undefined;
  event: string;
  data: string;
}

export interface SseClient {
  status: number;
  /** The next event (comments are skipped unless `comments` was set). */
  next(timeoutMs?: number): Promise<SseEvent>;
  /** Every byte received so far, decoded. */
  raw(): string;
  /** The last id received, as a browser's EventSource would keep it. */
  lastId(): string | undefined;
  close(): void;
}

export async function openSse(
  url: string,
  init: { headers?: Record<string, string>; comments?: boolean } = {},
): Promise<SseClient> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: init.headers ?? {}, signal: abort.signal });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let raw = '';
  let buffer = '';
  let lastId: string | undefined;
  const queue: SseEvent[] = [];
  let ended = false;

  const parse = () => {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end < 0) return;
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let id: string | undefined;
      let event = 'message';
      const data: string[] = [];
      let comment = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) {
          comment = true;
          continue;
        }
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') id = value;
        else if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (id !== undefined) lastId = id;
      if (comment && data.length === 0) {
        if (init.comments) queue.push({ id: undefined, event: 'comment', data: block });
        continue;
      }
      if (data.length === 0) continue; // e.g. the `retry:` block
      queue.push({ id, event, data: data.join('\n') });
    }
  };

  const pump = async (timeoutMs: number): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no event within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const r = await Promise.race([reader.read(), timeout]);
      if (r.done) {
        ended = true;
        return;
      }
      const text = decoder.decode(r.value, { stream: true });
      raw += text;
      buffer += text;
      parse();
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    status: res.status,
    async next(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (queue.length === 0) {
        if (ended) throw new Error('the event stream ended');
        await pump(Math.max(1, deadline - Date.now()));
      }
      return queue.shift()!;
    },
    raw: () => raw,
    lastId: () => lastId,
    close: () => abort.abort(),
  };
}
