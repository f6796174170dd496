/**
 * Sends a case to the server and collects what came back: `node:http` for the cases a
 * client library could send, a bare socket for the raw ones. Ids the server hands out
 * in its answers are remembered (`Pools`), so later cases can aim at real jobs,
 * batches and templates.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { DEFAULT_BODY_LIMIT_BYTES } from '../../src/server/deps.ts';
import type { Case, HttpCase, RawCase, Ref, Segment } from './http-cases.ts';

/** What a case got: `status` null when no answer came (then `error` says why). */
export interface Answer {
  status: number | null;
  contentType: string;
  body: Buffer;
  error?: string;
  /** The request as sent, for a report. */
  sent: string;
  /** Whether a text the case itself carried included the token (a body may echo it). */
  carriedToken: boolean;
  /** Whether the body was over the server's limit (the server need not read it). */
  oversized: boolean;
}

export class Pools {
  readonly ids: Record<Ref, string[]> = { job: [], batch: [], template: [], artifact: [] };

  pick(ref: Ref, n: number): string {
    const pool = this.ids[ref];
    return pool.length === 0 ? `no-such-${ref}` : pool[n % pool.length]!;
  }

  /** Remembers the ids of jobs, batches and templates anywhere in a JSON answer. */
  learn(value: unknown): void {
    if (Array.isArray(value)) {
      for (const v of value) this.learn(v);
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    const o = value as Record<string, unknown>;
    if (typeof o.id === 'string' && 'batchId' in o) this.add('job', o.id);
    else if (typeof o.id === 'string' && 'counts' in o) this.add('batch', o.id);
    else if (typeof o.name === 'string' && typeof o.type === 'string' && 'grid' in o)
      this.add('template', o.name);
    else if (typeof o.name === 'string' && 'sizeBytes' in o) this.add('artifact', o.name);
    for (const v of Object.values(o)) if (typeof v === 'object') this.learn(v);
  }

  private add(ref: Ref, id: string): void {
    const pool = this.ids[ref];
    if (pool.includes(id)) return;
    pool.push(id);
    if (pool.length > 200) pool.shift();
  }
}

const ANSWER_TIMEOUT_MS = 15_000;
/** Enough of an answer to judge it; an export ZIP or a long list is read no further. */
const KEEP_BYTES = 256 * 1024;

function pathOf(segments: Segment[], pools: Pools): string {
  return `/${segments
    .map((s) =>
      'lit' in s ? s.lit : 'raw' in s ? s.raw : encodeURIComponent(pools.pick(s.ref, s.pick)),
    )
    .join('/')}`;
}

function bodyBytes(c: HttpCase): Buffer | undefined {
  const b = c.body;
  if (b === null) return undefined;
  switch (b.kind) {
    case 'json':
      return Buffer.from(JSON.stringify(b.value) ?? 'null');
    case 'text':
      return Buffer.from(b.text);
    case 'bytes':
      return Buffer.from(b.bytes);
    case 'huge':
      return Buffer.from(
        JSON.stringify({ type: 'curriculum', params: { subject: 'x'.repeat(b.bytes), grade: 3 } }),
      );
  }
}

function authHeaders(c: HttpCase, token: string): Record<string, string> {
  switch (c.auth) {
    case 'token':
      return { authorization: `Bearer ${token}` };
    case 'wrong':
      return { authorization: `Bearer ${token.slice(0, -1)}x` };
    case 'malformed':
      return { authorization: `Basic ${Buffer.from(`kiln:${token}`).toString('base64')}` };
    case 'cookie':
      return { cookie: 'kiln_session=forged.session.value' };
    case 'none':
      return {};
  }
}

function sendHttp(c: HttpCase, base: string, token: string, pools: Pools): Promise<Answer> {
  const query = c.query.map(([k, v]) => `${k}=${v}`).join('&');
  const path = pathOf(c.path, pools) + (query ? `?${query}` : '');
  const body = bodyBytes(c);
  const headers: Record<string, string> = authHeaders(c, token);
  if (c.contentType !== null && body !== undefined) headers['content-type'] = c.contentType;
  // Framed always: node:http sends a GET, HEAD or DELETE body unframed otherwise, and
  // the server would rightly read those bytes as the next request.
  if (body !== undefined) headers['content-length'] = String(body.length);
  const sent = `${c.method} ${path} ${body ? `(${body.length} bytes)` : ''}`;
  const carriedToken = (body?.includes(token) ?? false) || path.includes(token);
  return new Promise((resolve) => {
    const oversized = (body?.length ?? 0) > DEFAULT_BODY_LIMIT_BYTES;
    const done = (a: Omit<Answer, 'sent' | 'carriedToken' | 'oversized'>) => {
      clearTimeout(timer);
      resolve({ ...a, sent, carriedToken, oversized });
    };
    const req = request(`${base}${path}`, { method: c.method, headers, agent: false }, (res) => {
      const contentType = String(res.headers['content-type'] ?? '');
      const status = res.statusCode ?? null;
      // The event stream never ends by itself: its headers are the answer.
      if (contentType.startsWith('text/event-stream')) {
        res.destroy();
        return done({ status, contentType, body: Buffer.alloc(0) });
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (d: Buffer) => {
        if (size < KEEP_BYTES) chunks.push(d);
        size += d.length;
      });
      res.on('end', () => done({ status, contentType, body: Buffer.concat(chunks) }));
      res.on('error', (e) =>
        done({ status, contentType, body: Buffer.concat(chunks), error: `body: ${e.message}` }),
      );
    });
    const timer = setTimeout(() => {
      req.destroy();
      done({ status: null, contentType: '', body: Buffer.alloc(0), error: 'no answer in 15 s' });
    }, ANSWER_TIMEOUT_MS);
    req.on('error', (e) =>
      done({ status: null, contentType: '', body: Buffer.alloc(0), error: e.message }),
    );
    req.end(body);
  });
}

/** Writes the bytes and reads until the server closes (or a timeout). */
function sendRaw(c: RawCase, base: string, token: string): Promise<Answer> {
  const url = new URL(base);
  const bytes = c.bytes.replaceAll('{auth}', token).replaceAll('{host}', url.host);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(url.port), url.hostname);
    const finish = (error?: string) => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks);
      const head = /^HTTP\/1\.[01] (\d{3})/.exec(text.subarray(0, 20).toString('latin1'));
      const split = text.indexOf('\r\n\r\n');
      const headers = split < 0 ? '' : text.subarray(0, split).toString('latin1');
      resolve({
        status: head ? Number(head[1]) : null,
        contentType: /content-type: *([^\r\n]*)/i.exec(headers)?.[1] ?? '',
        body: split < 0 ? Buffer.alloc(0) : text.subarray(split + 4),
        error,
        sent: `raw: ${c.name}`,
        carriedToken: false,
        oversized: false,
      });
    };
    const timer = setTimeout(() => finish('no answer in 15 s'), ANSWER_TIMEOUT_MS);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('end', () => finish());
    socket.on('error', (e) => finish(e.message));
    // A well-framed request is written and the socket left open until the server closes
    // it (each such case asks for Connection: close): Node's server drops the answer of
    // a client that half-closes first. The others end the socket at once, which is what
    // makes a truncated request truncated.
    socket.on('connect', () => {
      const data = Buffer.from(bytes, 'latin1');
      if (c.wellFramed) socket.write(data);
      else socket.end(data);
    });
  });
}

export function send(c: Case, base: string, token: string, pools: Pools): Promise<Answer> {
  return c.kind === 'raw' ? sendRaw(c, base, token) : sendHttp(c, base, token, pools);
}
