/**
 * The HTTP API as one OpenAPIHono app: middleware (request log, metrics, auth, body
 * limit), every route module, /openapi.json, and the one error mapping: a KilnError
 * answers with its catalogue status, Hono's own refusals (malformed JSON, wrong content
 * type, oversized body) with our codes, anything else with a logged 500.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { KilnError } from '../core/errors.ts';
import { bearerAuth } from './auth.ts';
import { registerDashboard } from './dashboard/index.ts';
import type { ServerDeps } from './deps.ts';
import { refuseDotSegments } from './dot-segments.ts';
import { asKilnError, bodyTooLarge, type ErrorBody } from './errors.ts';
import { registerEvents } from './events/routes.ts';
import { registerExport } from './export/route.ts';
import { refuseForeignHosts } from './host-check.ts';
import { allowedMethods } from './method-not-allowed.ts';
import { createMetrics } from './metrics/metrics.ts';
import { requestLog } from './request-log.ts';
import { registerBatchRoutes } from './routes/batches.ts';
import { registerHealthRoute } from './routes/health.ts';
import { registerJobFileRoutes } from './routes/job-files.ts';
import { registerJobTypeRoutes } from './routes/job-types.ts';
import { registerJobRoutes } from './routes/jobs.ts';
import { registerPruneRoute } from './routes/prune.ts';
import { registerTemplateRoutes } from './routes/templates.ts';
import { registerSessionRoutes } from './session/index.ts';
import { requestError } from './validation.ts';

export const API_VERSION = '1';

export function createApp(deps: ServerDeps): OpenAPIHono {
  const app = new OpenAPIHono({
    // Every route's zod verdict becomes a catalogue error (UNKNOWN_OPTION / INVALID_ARGUMENT).
    defaultHook: (result) => {
      if (!result.success) throw requestError(result.target, result.error);
    },
  });
  const metrics = createMetrics(deps);
  deps.closing?.addEventListener('abort', () => metrics.close(), { once: true });

  // Every answer, error or not: a browser must never guess a type from a body (a job's
  // result echoed in JSON, a log line) and run it as HTML or script.
  app.use('*', async (c, next) => {
    await next();
    c.res.headers.set('x-content-type-options', 'nosniff');
  });
  app.use('*', requestLog(deps.log));
  app.use('*', metrics.middleware);
  app.use('*', refuseForeignHosts(deps.token));
  app.use('*', bearerAuth(deps.token));
  app.use('*', refuseDotSegments());
  app.use(
    '*',
    bodyLimit({
      maxSize: deps.bodyLimitBytes,
      onError: () => {
        throw bodyTooLarge(deps.bodyLimitBytes);
      },
    }),
  );

  // The dashboard's files and client-side routes: every GET outside /api and friends.
  registerDashboard(app, deps.uiDir === undefined ? {} : { uiDir: deps.uiDir });
  registerHealthRoute(app);
  registerSessionRoutes(app, deps);
  registerJobRoutes(app, deps);
  registerJobFileRoutes(app, deps);
  registerBatchRoutes(app, deps);
  registerExport(app, deps);
  registerTemplateRoutes(app, deps);
  registerJobTypeRoutes(app, deps);
  // The event stream ends itself when deps.closing aborts (graceful shutdown). Its
  // follower's position is the feed lag /metrics reports (none while nobody follows).
  const events = registerEvents(app, deps);
  metrics.feedLag.follow(() => events.hub.position ?? Number.MAX_SAFE_INTEGER);
  registerPruneRoute(app, deps);
  metrics.register(app);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'Needed on every route but /healthz when the server has a token',
  });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Kiln',
      version: API_VERSION,
      description: 'Durable background jobs and batches with live progress (docs/API.md).',
    },
    security: deps.token === undefined ? [] : [{ bearer: [] }],
  });

  app.notFound((c) => {
    const allow = allowedMethods(app.routes, c.req.path);
    const error =
      allow.length > 0
        ? new KilnError(
            'METHOD_NOT_ALLOWED',
            `${c.req.path} does not take ${c.req.method}; it takes ${allow.join(', ')}`,
            { allow },
          )
        : new KilnError('NOT_FOUND', `no route ${c.req.method} ${c.req.path}`);
    return c.json(
      { error: error.toJSON() } satisfies ErrorBody,
      error.status as 404,
      allow.length > 0 ? { Allow: allow.join(', ') } : {},
    );
  });

  app.onError((error, c) => {
    const known = asKilnError(error);
    if (known) return c.json({ error: known.toJSON() } satisfies ErrorBody, known.status as 400);
    deps.log('error', 'http:error', {
      method: c.req.method,
      path: c.req.path,
      message: error instanceof Error ? error.message : String(error),
      stack: error instanceof Error ? error.stack : undefined,
    });
    return c.json(
      { error: { code: 'INTERNAL', message: 'internal error' } } satisfies ErrorBody,
      500,
    );
  });

  return app;
}
