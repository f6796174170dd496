import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ServerDeps } from '../deps.ts';

/** `GET /api/batches/{id}/export`: the batch as a streamed ZIP (work in progress). */
export function registerExport(_app: OpenAPIHono, _deps: ServerDeps): void {}
