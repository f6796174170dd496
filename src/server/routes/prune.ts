/** POST /api/prune: delete now what retention has expired (`kiln prune`). */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { ServerDeps } from '../deps.ts';
import { errors, json } from '../schemas/index.ts';

const PrunedSchema = z
  .object({
    jobs: z.number().int().openapi({ description: 'Jobs deleted, with their logs and files' }),
    batches: z.number().int().openapi({ description: 'Batches deleted (left without jobs)' }),
  })
  .openapi('Pruned');

const route = createRoute({
  method: 'post',
  path: '/api/prune',
  tags: ['server'],
  summary: 'Delete what retention has expired, now',
  description:
    'Workers prune on their own schedule; this runs the same sweep at once. Nothing younger than its retention is touched.',
  responses: { 200: json(PrunedSchema, 'What was deleted'), ...errors(401) },
});

export function registerPruneRoute(app: OpenAPIHono, { kiln }: ServerDeps): void {
  app.openapi(route, async (c) => c.json(await kiln.prune(), 200));
}
