/** /api/templates: presets for batches, kept in the store. */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { KilnError } from '../../core/errors.ts';
import type { ServerDeps } from '../deps.ts';
import {
  CreateTemplateSchema,
  errors,
  json,
  jsonBody,
  PutTemplateSchema,
  TemplateNameParam,
  TemplateSchema,
  TemplatesSchema,
} from '../schemas/index.ts';
import { defined } from './lookup.ts';
import { templateBody } from './wire.ts';

const tags = ['templates'];

const list = createRoute({
  method: 'get',
  path: '/api/templates',
  tags,
  summary: 'Every template',
  responses: { 200: json(TemplatesSchema, 'Templates by name'), ...errors(401) },
});

const get = createRoute({
  method: 'get',
  path: '/api/templates/{name}',
  tags,
  summary: 'One template',
  request: { params: TemplateNameParam },
  responses: { 200: json(TemplateSchema, 'The template'), ...errors(401, 404) },
});

const create = createRoute({
  method: 'post',
  path: '/api/templates',
  tags,
  summary: 'Create a template (409 if the name exists)',
  request: { body: jsonBody(CreateTemplateSchema) },
  responses: {
    201: json(TemplateSchema, 'The template'),
    ...errors(400, 401, 409, 413, 415),
  },
});

const put = createRoute({
  method: 'put',
  path: '/api/templates/{name}',
  tags,
  summary: 'Create or replace a template',
  request: { params: TemplateNameParam, body: jsonBody(PutTemplateSchema) },
  responses: {
    200: json(TemplateSchema, 'The template'),
    ...errors(400, 401, 413, 415),
  },
});

const remove = createRoute({
  method: 'delete',
  path: '/api/templates/{name}',
  tags,
  summary: 'Delete a template',
  request: { params: TemplateNameParam },
  responses: { 204: { description: 'Deleted' }, ...errors(401, 404) },
});

const notFound = (name: string) => new KilnError('TEMPLATE_NOT_FOUND', `no template \`${name}\``);

export function registerTemplateRoutes(app: OpenAPIHono, { kiln }: ServerDeps): void {
  app.openapi(list, async (c) =>
    c.json({ items: (await kiln.templates.list()).map(templateBody) }, 200),
  );

  app.openapi(get, async (c) => {
    const { name } = c.req.valid('param');
    const t = await kiln.templates.get(name);
    if (!t) throw notFound(name);
    return c.json(templateBody(t), 200);
  });

  app.openapi(create, async (c) => {
    // Insert-only in the store: of two creates of one name racing, one gets 409.
    const body = c.req.valid('json');
    return c.json(templateBody(await kiln.templates.create(defined(body))), 201);
  });

  app.openapi(put, async (c) => {
    const { name } = c.req.valid('param');
    const body = c.req.valid('json');
    if (body.name !== undefined && body.name !== name) {
      throw new KilnError(
        'INVALID_ARGUMENT',
        `the body names \`${body.name}\` but the path \`${name}\``,
        {
          issues: [{ path: 'name', message: 'must be the name in the path' }],
        },
      );
    }
    return c.json(templateBody(await kiln.templates.save(defined({ ...body, name }))), 200);
  });

  app.openapi(remove, async (c) => {
    const { name } = c.req.valid('param');
    if (!(await kiln.templates.delete(name))) throw notFound(name);
    return c.body(null, 204);
  });
}
