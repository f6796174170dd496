/**
 * The server's Prometheus metrics on a registry of their own (not prom-client's global
 * one, which a host application may use): `GET /metrics` in the text format.
 *
 * - kiln_jobs{state,type}: the whole store's jobs, counted when scraped (cached)
 * - kiln_claims_total, kiln_completions_total, kiln_failures_total{retrying},
 *   kiln_lease_expiries_total, kiln_progress_writes_total: the embedded worker's events
 * - kiln_feed_lag, kiln_feed_lag_seconds: the change-feed followers (feed-lag.ts)
 * - kiln_http_request_duration_seconds{method,route,status}
 * - prom-client's default process metrics (CPU, memory, event loop, GC, handles)
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { ServerDeps } from '../deps.ts';
import { errors } from '../schemas/index.ts';
import { type FeedLag, feedLagGauges } from './feed-lag.ts';
import { httpDuration } from './http-duration.ts';
import { jobCountsGauge } from './job-counts.ts';
import { workerCounters } from './worker-counters.ts';

export type { FeedLag } from './feed-lag.ts';

/** How long store-wide figures are reused between scrapes. */
export const STORE_FIGURES_TTL_MS = 5_000;

export interface Metrics {
  /** Times every request, for kiln_http_request_duration_seconds. */
  middleware: MiddlewareHandler;
  /** Adds `GET /metrics` (behind the token like every route but /healthz). */
  register(app: OpenAPIHono): void;
  /** The change feed's followers report how far behind they are here (feed-lag.ts). */
  feedLag: FeedLag;
  /** The registry, for tests and for a host that serves it elsewhere. */
  registry: Registry;
  /** Stops listening to the worker's events. */
  close(): void;
}

export interface MetricsOptions {
  /** How long store-wide figures (kiln_jobs, kiln_feed_lag) are cached. Default 5 s. */
  storeFiguresTtlMs?: number;
}

const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  tags: ['operations'],
  summary: 'Prometheus metrics (text format 0.0.4)',
  responses: {
    200: { description: 'The metrics', content: { 'text/plain': { schema: z.string() } } },
    ...errors(401),
  },
});

export function createMetrics(deps: ServerDeps, options: MetricsOptions = {}): Metrics {
  const ttlMs = options.storeFiguresTtlMs ?? STORE_FIGURES_TTL_MS;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  jobCountsGauge(registry, deps.kiln, ttlMs);
  const stopCounting = workerCounters(registry, deps.worker);
  const feedLag = feedLagGauges(registry, deps.kiln, ttlMs);
  return {
    middleware: httpDuration(registry),
    register(app) {
      app.openapi(metricsRoute, async (c) => {
        // A store that cannot be read fails the scrape (a 500 through the app's error
        // handler): stale figures would look current.
        const text = await registry.metrics();
        return c.text(text, 200, { 'content-type': registry.contentType });
      });
    },
    feedLag,
    registry,
    close: stopCounting,
  };
}
