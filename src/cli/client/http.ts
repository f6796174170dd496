import { ClientError, networkReason } from './errors.ts';

export const DEFAULT_URL = 'http://127.0.0.1:7300';

export interface ConnectionOptions {
  /** The server's base URL, e.g. http://127.0.0.1:7300 (a trailing slash is fine). */
  url: string;
  /** Sent as `Authorization: Bearer <token>` when set. */
  token?: string | undefined;
}

export type Query = Record<string, string | number | undefined>;

export interface RequestOptions {
  query?: Query;
  /** Sent as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/**
 * The transport under the typed API: one fetch per call, the token on every request,
 * and every failure turned into a ClientError that names what went wrong.
 */
export class HttpConnection {
  readonly baseUrl: string;
  private readonly token: string | undefined;

  constructor(options: ConnectionOptions) {
    let base: URL;
    try {
      base = new URL(options.url);
    } catch {
      throw new ClientError('INVALID_URL', `--url is not a URL: \`${options.url}\``, null);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new ClientError('INVALID_URL', `--url must be http(s), got \`${options.url}\``, null);
    }
    this.baseUrl = base.href.replace(/\/+$/, '');
    this.token = options.token || undefined;
  }

  url(path: string, query: Query = {}): string {
    const u = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, `${v}`);
    return u.href;
  }

  /** A call answered with JSON (or 204, undefined). */
  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  /** A call whose body the caller reads (event stream, ZIP). Rejects on any non-2xx. */
  async send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    const init: RequestInit = { method, headers };
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(options.body);
    }
    if (options.signal) init.signal = options.signal;
    let response: Response;
    try {
      response = await fetch(this.url(path, options.query), init);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new ClientError(
        'UNREACHABLE',
        `cannot reach the Kiln server at ${this.baseUrl} (${networkReason(error)}); ` +
          'is it running? Start one with `kiln serve`, or point --url (KILN_URL) at it',
        null,
      );
    }
    if (!response.ok) throw await errorOf(response);
    return response;
  }
}

/** The server's `{ error: { code, message, details? } }`, or what we can say without it. */
async function errorOf(response: Response): Promise<ClientError> {
  const text = await response.text().catch(() => '');
  let body: { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const e = body?.error;
  if (e && typeof e.code === 'string' && typeof e.message === 'string') {
    return new ClientError(e.code, e.message, response.status, e.details);
  }
  const what = text.trim().slice(0, 200) || response.statusText || 'no body';
  return new ClientError(
    `HTTP_${response.status}`,
    `HTTP ${response.status}: ${what}`,
    response.status,
  );
}
