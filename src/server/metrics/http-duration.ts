import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { Histogram, type Registry } from 'prom-client';

/** Label of requests that matched no route: raw paths would make a series per URL. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * `kiln_http_request_duration_seconds{method,route,status}`: time until the response's
 * headers (a streamed body, the event stream or a ZIP, goes on after). `route` is the
 * pattern (`/api/jobs/:id`), never the path, so ids do not become labels.
 */
export function httpDuration(registry: Registry): MiddlewareHandler {
  const histogram = new Histogram({
    name: 'kiln_http_request_duration_seconds',
    help: 'HTTP requests: seconds until the response headers, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return async (c, next) => {
    const start = performance.now();
    try {
      await next();
    } finally {
      histogram.observe(
        { method: c.req.method, route: routePattern(c), status: String(c.res.status) },
        (performance.now() - start) / 1000,
      );
    }
  };
}

/**
 * The pattern of the route that answered, or, when a middleware answered first (a 401
 * from auth), of the route that would have: the first matched handler that is not a
 * middleware (`app.use` registers those for every method, `ALL`).
 */
export function routePattern(c: Context): string {
  const routes = matchedRoutes(c);
  const answered = routes[c.req.routeIndex];
  if (answered && answered.method !== 'ALL') return answered.path;
  return routes.find((r) => r.method !== 'ALL')?.path ?? UNMATCHED_ROUTE;
}
