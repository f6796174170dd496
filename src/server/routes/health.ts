/** GET /healthz: liveness for probes; never needs a token. */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { json } from '../schemas/index.ts';

const route = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['server'],
  summary: 'Liveness; open even when the server has a token',
  security: [],
  responses: { 200: json(z.object({ ok: z.literal(true) }).openapi('Health'), 'Alive') },
});

export function registerHealthRoute(app: OpenAPIHono): void {
  app.openapi(route, (c) => c.json({ ok: true as const }, 200));
}
