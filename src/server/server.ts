/**
 * The HTTP server on a socket: `startServer(options)` listens and returns its URL and a
 * graceful `close()`. Used by `kiln serve`, by tests and by the bench, without the CLI.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { getRequestListener } from '@hono/node-server';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { KilnError } from '../core/errors.ts';
import type { Kiln } from '../kiln.ts';
import type { Worker } from '../worker/worker.ts';
import { createApp } from './app.ts';
import { DEFAULT_BODY_LIMIT_BYTES, jsonLogger, type Logger, type ServerDeps } from './deps.ts';
import { isLoopback } from './loopback.ts';

export { isLoopback } from './loopback.ts';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 7300;

export interface StartServerOptions {
  kiln: Kiln;
  /** Default 127.0.0.1. Any other address than loopback needs a token. */
  host?: string;
  /** Default 7300; 0 picks a free port. */
  port?: number;
  /** Bearer token for every route but /healthz. */
  token?: string;
  /** Default 1 MiB. */
  bodyLimitBytes?: number;
  /** Default: JSON lines to stderr. */
  log?: Logger;
  /** The worker running in this process, if any (its events feed /metrics). */
  worker?: Worker;
  /** How long `close()` lets in-flight requests finish before cutting them. Default 10 s. */
  drainMs?: number;
  /** The built dashboard served at `/` (default dist/ui under the package root). */
  uiDir?: string;
}

export interface RunningServer {
  /** `http://host:port`, with the port actually bound. */
  url: string;
  port: number;
  app: OpenAPIHono;
  deps: ServerDeps;
  /**
   * Stops accepting, ends event streams, lets in-flight requests finish (at most
   * `drainMs`), closes idle keep-alive sockets. Does not close the Kiln instance.
   */
  close(): Promise<void>;
}

/** Shorter tokens are accepted, with a warning: they can be guessed. */
const MIN_TOKEN_LENGTH = 16;

/** Refuses a server any machine could reach without a token. */
export function checkExposure(host: string, token: string | undefined): void {
  if (token === '') throw new KilnError('INVALID_ARGUMENT', 'the token is empty');
  if (token === undefined && !isLoopback(host)) {
    throw new KilnError(
      'INVALID_ARGUMENT',
      `refusing to listen on ${host} without a token: anyone who can reach it could run and delete jobs. ` +
        'Set --token (or KILN_TOKEN), or listen on 127.0.0.1.',
      { host },
    );
  }
}

/** The one error body for a request that never reached the app. */
function badRequest(): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({
    error: new KilnError('INVALID_ARGUMENT', 'the request is not valid HTTP').toJSON(),
  });
  return { body, headers: { 'content-type': 'application/json' } };
}

/**
 * A request Node's HTTP parser refuses (a broken request line or header) never reaches
 * the app: it still gets the one error body, not Node's bare 400.
 */
function answerClientError(_error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const { body } = badRequest();
  socket.end(
    'HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-type: application/json\r\n' +
      'x-content-type-options: nosniff\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port ?? DEFAULT_PORT;
  checkExposure(host, options.token);
  const bodyLimitBytes = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  if (!Number.isInteger(bodyLimitBytes) || bodyLimitBytes < 1) {
    throw new KilnError('INVALID_ARGUMENT', 'the body limit must be a positive number of bytes');
  }
  const closing = new AbortController();
  const deps: ServerDeps = {
    kiln: options.kiln,
    token: options.token,
    bodyLimitBytes,
    log: options.log ?? jsonLogger(),
    worker: options.worker,
    closing: closing.signal,
    ...(options.uiDir === undefined ? {} : { uiDir: options.uiDir }),
  };
  if (options.token !== undefined && options.token.length < MIN_TOKEN_LENGTH) {
    deps.log('warn', 'server:short-token', {
      length: options.token.length,
      advice: `use a random token of at least ${MIN_TOKEN_LENGTH} characters (openssl rand -hex 32)`,
    });
  }
  const app = createApp(deps);
  // A request whose URL cannot be parsed (a raw backslash in the path) fails before
  // Hono sees it: answered with the one error body instead of an empty 400.
  const listener = getRequestListener(app.fetch, {
    hostname: host,
    errorHandler: () => {
      const { body, headers } = badRequest();
      return new Response(body, { status: 400, headers });
    },
  });
  const server = createServer(listener);
  server.on('clientError', answerClientError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: NodeJS.ErrnoException) => {
    closing.abort();
    if (error.code === 'EADDRINUSE' || error.code === 'EACCES' || error.code === 'EADDRNOTAVAIL') {
      throw new KilnError('INVALID_ARGUMENT', `cannot listen on ${host}:${port}: ${error.code}`, {
        host,
        port,
      });
    }
    throw error;
  });
  const bound = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${bound}`;

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= new Promise<void>((resolve) => {
      // Event streams end on this signal; the other requests finish on their own.
      closing.abort();
      const idle = setInterval(() => server.closeIdleConnections(), 50);
      const cut = setTimeout(() => server.closeAllConnections(), options.drainMs ?? 10_000);
      server.close(() => {
        clearInterval(idle);
        clearTimeout(cut);
        resolve();
      });
      // A keep-alive socket whose request just ended is idle now, not in 5 s.
      server.closeIdleConnections();
    });
    return closed;
  };
  return { url, port: bound, app, deps, close };
}
