/** One structured log line per request: method, path, status, time. Never headers or query. */
import type { MiddlewareHandler } from 'hono';
import type { Logger } from './deps.ts';

export function requestLog(log: Logger): MiddlewareHandler {
  return async (c, next) => {
    const startMs = performance.now();
    await next();
    const ms = Math.round((performance.now() - startMs) * 10) / 10;
    const status = c.res.status;
    log(status >= 500 ? 'error' : 'info', 'http:request', {
      method: c.req.method,
      path: c.req.path,
      status,
      ms,
    });
  };
}
