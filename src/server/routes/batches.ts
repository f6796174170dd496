/** /api/batches: create (a list, or a template over a grid), list, read, act on one. */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { KilnError } from '../../core/errors.ts';
import type { BatchState } from '../../core/model.ts';
import type { CreateBatchInput } from '../../kiln.ts';
import type { ServerDeps } from '../deps.ts';
import {
  BATCH_STATES,
  BatchPageSchema,
  BatchSchema,
  type CreateBatchRequest,
  CreateBatchSchema,
  errors,
  IdParam,
  json,
  jsonBody,
  ListBatchesQuery,
  TimelineQuery,
  TimelineSchema,
} from '../schemas/index.ts';
import { batchId, defined, findBatch, runAtOf } from './lookup.ts';
import { batchBody, pageBody } from './wire.ts';

const tags = ['batches'];

const create = createRoute({
  method: 'post',
  path: '/api/batches',
  tags,
  summary: 'Create a batch from a list of jobs, or from a template over a grid',
  request: { body: jsonBody(CreateBatchSchema) },
  responses: {
    201: json(BatchSchema, 'The batch, its jobs enqueued (all or none)'),
    ...errors(400, 401, 404, 413, 415),
  },
});

const list = createRoute({
  method: 'get',
  path: '/api/batches',
  tags,
  summary: 'List batches, newest first, filtered by state, name and template',
  request: { query: ListBatchesQuery },
  responses: { 200: json(BatchPageSchema, 'A page of batches'), ...errors(400, 401) },
});

const timeline = createRoute({
  method: 'get',
  path: '/api/batches/{id}/timeline',
  tags,
  summary: 'Finished jobs (completed, failed) per time bucket, for a throughput chart',
  request: { params: IdParam, query: TimelineQuery },
  responses: { 200: json(TimelineSchema, 'The buckets, oldest first'), ...errors(400, 401, 404) },
});

const get = createRoute({
  method: 'get',
  path: '/api/batches/{id}',
  tags,
  summary: 'One batch with its aggregate: counts, progress, usage, ETA',
  request: { params: IdParam },
  responses: { 200: json(BatchSchema, 'The batch'), ...errors(401, 404) },
});

const ACTIONS = {
  pause: 'Pause: no new claims for its jobs; running ones finish',
  resume: 'Resume a paused batch',
  cancel: 'Cancel its pending and running jobs',
  'retry-failed': 'Retry its failed jobs, each with a fresh attempt budget',
} as const;

const action = (verb: keyof typeof ACTIONS) =>
  createRoute({
    method: 'post',
    path: `/api/batches/{id}/${verb}`,
    tags,
    summary: ACTIONS[verb],
    request: { params: IdParam },
    responses: { 200: json(BatchSchema, 'The batch after the action'), ...errors(401, 404) },
  });

/** `state=running,paused` to a list of batch states; anything else is a 400. */
function batchStates(raw: string | undefined): BatchState[] | undefined {
  if (raw === undefined) return undefined;
  const list = raw.split(',').map((s) => s.trim());
  for (const s of list) {
    if (!(BATCH_STATES as readonly string[]).includes(s)) {
      throw new KilnError(
        'INVALID_ARGUMENT',
        `state must be a comma-separated list of ${BATCH_STATES.join(', ')}; got \`${s}\``,
        { issues: [{ path: 'state', message: `unknown state \`${s}\`` }], in: 'query' },
      );
    }
  }
  return list as BatchState[];
}

/** The request body as the facade takes it: one of its two forms, nothing undefined. */
function createInput(body: CreateBatchRequest): CreateBatchInput {
  const common = defined({
    name: body.name,
    metadata: body.metadata,
    priority: body.priority,
    runAt: runAtOf(body.runAt),
    webhook: body.webhook,
    concurrency: body.concurrency,
  });
  if (body.template !== undefined) {
    return {
      ...common,
      ...defined({ template: body.template, grid: body.grid, params: body.params }),
    };
  }
  const jobs = (body.jobs ?? []).map((j) => ({ ...defined(j), params: j.params ?? {} }));
  return { ...common, jobs };
}

export function registerBatchRoutes(app: OpenAPIHono, { kiln }: ServerDeps): void {
  app.openapi(create, async (c) => {
    const batch = await kiln.batches.create(createInput(c.req.valid('json')));
    return c.json(batchBody(batch), 201);
  });

  app.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const page = await kiln.batches.list(
      defined({
        state: batchStates(q.state),
        q: q.q,
        template: q.template,
        limit: q.limit ?? 100,
        cursor: q.cursor,
      }),
    );
    return c.json(pageBody(page, batchBody), 200);
  });

  app.openapi(timeline, async (c) => {
    const id = batchId(c.req.valid('param').id);
    const { bucketMs } = c.req.valid('query');
    const t = await kiln.batches.timeline(id, defined({ bucketMs }));
    const items = t.items.map((b) => ({ ...b, at: b.at.toISOString() }));
    return c.json({ bucketMs: t.bucketMs, items }, 200);
  });

  app.openapi(get, async (c) =>
    c.json(batchBody(await findBatch(kiln, c.req.valid('param').id)), 200),
  );

  const act = {
    pause: kiln.batches.pause,
    resume: kiln.batches.resume,
    cancel: kiln.batches.cancel,
    'retry-failed': kiln.batches.retryFailed,
  };
  for (const verb of Object.keys(ACTIONS) as (keyof typeof ACTIONS)[]) {
    app.openapi(action(verb), async (c) =>
      c.json(batchBody(await act[verb](batchId(c.req.valid('param').id))), 200),
    );
  }
}
