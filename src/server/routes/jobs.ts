/** /api/jobs: enqueue one or many, list, read, cancel, retry, delete. */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { KilnError } from '../../core/errors.ts';
import { JOB_STATES, type JobState } from '../../core/lifecycle.ts';
import type { EnqueueOptions } from '../../kiln.ts';
import type { ServerDeps } from '../deps.ts';
import {
  AttemptListSchema,
  EnqueuedSchema,
  type EnqueueJobRequest,
  EnqueueJobSchema,
  EnqueueManySchema,
  errors,
  IdParam,
  JobPageSchema,
  JobSchema,
  json,
  jsonBody,
  ListJobsQuery,
} from '../schemas/index.ts';
import { defined, findJob, jobId, runAtOf } from './lookup.ts';
import { attemptBody, jobBody, pageBody } from './wire.ts';

const tags = ['jobs'];

const enqueue = createRoute({
  method: 'post',
  path: '/api/jobs',
  tags,
  summary: 'Enqueue one job',
  request: { body: jsonBody(EnqueueJobSchema) },
  responses: {
    201: json(JobSchema, 'The job, enqueued'),
    200: json(JobSchema, 'The existing job whose idempotency key matched'),
    ...errors(400, 401, 413, 415),
  },
});

const enqueueMany = createRoute({
  method: 'post',
  path: '/api/jobs/bulk',
  tags,
  summary: 'Enqueue many jobs at once, all or none',
  request: { body: jsonBody(EnqueueManySchema) },
  responses: {
    201: json(EnqueuedSchema, 'Every job, in the order given'),
    ...errors(400, 401, 413, 415),
  },
});

const list = createRoute({
  method: 'get',
  path: '/api/jobs',
  tags,
  summary: 'List jobs, newest first',
  request: { query: ListJobsQuery },
  responses: { 200: json(JobPageSchema, 'A page of jobs'), ...errors(400, 401) },
});

const get = createRoute({
  method: 'get',
  path: '/api/jobs/{id}',
  tags,
  summary: 'One job',
  request: { params: IdParam },
  responses: { 200: json(JobSchema, 'The job'), ...errors(401, 404) },
});

const action = (verb: 'cancel' | 'retry', summary: string) =>
  createRoute({
    method: 'post',
    path: `/api/jobs/{id}/${verb}`,
    tags,
    summary,
    request: { params: IdParam },
    responses: { 200: json(JobSchema, 'The job after the action'), ...errors(401, 404, 409) },
  });
const cancel = action('cancel', 'Cancel a pending or running job');
const retry = action('retry', 'Retry a failed or cancelled job');

const attempts = createRoute({
  method: 'get',
  path: '/api/jobs/{id}/attempts',
  tags,
  summary: "The job's attempts, oldest first, the current (or last) one last",
  request: { params: IdParam },
  responses: { 200: json(AttemptListSchema, 'The attempts'), ...errors(401, 404) },
});

const remove = createRoute({
  method: 'delete',
  path: '/api/jobs/{id}',
  tags,
  summary: 'Delete a job that is not running, with its logs and files',
  request: { params: IdParam },
  responses: { 204: { description: 'Deleted' }, ...errors(401, 404, 409) },
});

/** The enqueue options of one request item, as the facade takes them. */
export function enqueueOptions(item: Omit<EnqueueJobRequest, 'type' | 'params'>): EnqueueOptions {
  return defined({
    priority: item.priority,
    runAt: runAtOf(item.runAt),
    idempotencyKey: item.idempotencyKey,
    name: item.name,
  });
}

/** `state=pending,running` to a list of states; anything else is a 400. */
function states(raw: string | undefined): JobState[] | undefined {
  if (raw === undefined) return undefined;
  const list = raw.split(',').map((s) => s.trim());
  for (const s of list) {
    if (!(JOB_STATES as readonly string[]).includes(s)) {
      throw new KilnError(
        'INVALID_ARGUMENT',
        `state must be a comma-separated list of ${JOB_STATES.join(', ')}; got \`${s}\``,
        { issues: [{ path: 'state', message: `unknown state \`${s}\`` }], in: 'query' },
      );
    }
  }
  return list as JobState[];
}

export function registerJobRoutes(app: OpenAPIHono, { kiln }: ServerDeps): void {
  app.openapi(enqueue, async (c) => {
    const { type, params, ...options } = c.req.valid('json');
    const { created, ...job } = await kiln.enqueue(type, params ?? {}, enqueueOptions(options));
    return c.json(jobBody(job), created ? 201 : 200);
  });

  app.openapi(enqueueMany, async (c) => {
    const { jobs } = c.req.valid('json');
    const items = await kiln.enqueueMany(
      jobs.map(({ type, params, ...options }) => ({
        job: type,
        params: params ?? {},
        options: enqueueOptions(options),
      })),
    );
    return c.json({ items }, 201);
  });

  app.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const page = await kiln.jobs.list(
      defined({
        state: states(q.state),
        type: q.type,
        batchId: q.batchId,
        limit: q.limit ?? 100,
        cursor: q.cursor,
      }),
    );
    return c.json(pageBody(page, jobBody), 200);
  });

  app.openapi(get, async (c) => c.json(jobBody(await findJob(kiln, c.req.valid('param').id)), 200));

  app.openapi(cancel, async (c) =>
    c.json(jobBody(await kiln.jobs.cancel(jobId(c.req.valid('param').id))), 200),
  );

  app.openapi(retry, async (c) =>
    c.json(jobBody(await kiln.jobs.retry(jobId(c.req.valid('param').id))), 200),
  );

  app.openapi(attempts, async (c) => {
    const items = await kiln.jobs.attempts(jobId(c.req.valid('param').id));
    return c.json({ items: items.map(attemptBody) }, 200);
  });

  app.openapi(remove, async (c) => {
    await kiln.jobs.delete(jobId(c.req.valid('param').id));
    return c.body(null, 204);
  });
}
