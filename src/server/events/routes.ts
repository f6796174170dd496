import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { KilnError } from '../../core/errors.ts';
import type { ServerDeps } from '../deps.ts';
import { FeedHub, type HubOptions, type Interest } from './hub.ts';
import { eventStream } from './stream.ts';

export interface EventsOptions extends HubOptions {
  /** A comment line after this long without events (default 15 s). */
  keepAliveMs?: number;
  /** The reconnection delay the stream tells clients (default 1 s). */
  retryMs?: number;
}

const Query = z.strictObject({
  batchId: z
    .string()
    .optional()
    .openapi({ description: 'Only this batch (its jobs and aggregate).' }),
  jobId: z.string().optional().openapi({ description: 'Only this job.' }),
  after: z
    .string()
    .optional()
    .openapi({ description: 'Resume after this feed position (as `Last-Event-ID` does).' }),
});

const route = createRoute({
  method: 'get',
  path: '/api/events',
  summary: 'Live changes as server-sent events',
  description:
    'A snapshot (events `batch` and `job`, then `snapshot` whose id is its feed position), ' +
    'then every change: `job` events (the job as it is now) and `batch` events (the batch ' +
    'with its aggregate, at most every 200 ms while its jobs change). An event id is a feed ' +
    'position; send it back as `Last-Event-ID` (or `after`) to resume with no gap and no ' +
    'duplicate. A comment line every 15 s keeps the connection alive.',
  request: { query: Query },
  responses: {
    200: {
      description: 'The event stream',
      content: { 'text/event-stream': { schema: z.string() } },
    },
  },
});

function position(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d{1,15}$/.test(raw)) {
    throw new KilnError(
      'INVALID_ARGUMENT',
      `an event id is a feed position (an integer), got \`${raw}\``,
    );
  }
  return Number(raw);
}

/**
 * `GET /api/events`: one hub per server follows the feed; every client stream reads
 * from it at its own pace. Returns the hub (its position feeds /metrics) and a close
 * that ends every stream (graceful shutdown).
 */
export function registerEvents(
  app: OpenAPIHono,
  deps: ServerDeps,
  options: EventsOptions = {},
): { hub: FeedHub; close(): void } {
  const hub = new FeedHub(deps.kiln.store, options);
  deps.closing?.addEventListener('abort', () => hub.close(), { once: true });
  hub.onError = (error) =>
    deps.log('warn', 'events:error', {
      message: error instanceof Error ? error.message : String(error),
    });
  app.openapi(route, async (c) => {
    const q = c.req.valid('query');
    const after = position(c.req.header('last-event-id')) ?? position(q.after);
    const interest: Interest = {};
    if (q.jobId !== undefined) {
      if ((await deps.kiln.jobs.get(q.jobId)) === null) {
        throw new KilnError('JOB_NOT_FOUND', `no job ${q.jobId}`);
      }
      interest.jobId = q.jobId;
    }
    if (q.batchId !== undefined) {
      if ((await deps.kiln.batches.get(q.batchId)) === null) {
        throw new KilnError('BATCH_NOT_FOUND', `no batch ${q.batchId}`);
      }
      interest.batchId = q.batchId;
    }
    const stream = eventStream(hub, {
      interest,
      after,
      keepAliveMs: options.keepAliveMs ?? 15_000,
      retryMs: options.retryMs ?? 1_000,
    });
    return new Response(stream, {
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
      },
    }) as never;
  });
  return { hub, close: () => hub.close() };
}
