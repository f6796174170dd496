import type { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { ServerDeps } from '../deps.ts';

export interface Metrics {
  /** Times every request for kiln_http_request_duration_seconds. */
  middleware: MiddlewareHandler;
  /** Adds `GET /metrics`. */
  register(app: OpenAPIHono): void;
  /** The change-feed followers' lag, set by whoever follows the feed (the SSE hub). */
  feedLag: { set(seconds: number): void };
  /** Stops listening to the worker's events. */
  close(): void;
}

/** The server's Prometheus metrics (work in progress). */
export function createMetrics(_deps: ServerDeps): Metrics {
  return {
    middleware: async (_c, next) => next(),
    register: () => {},
    feedLag: { set: () => {} },
    close: () => {},
  };
}
