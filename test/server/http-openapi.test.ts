/**
 * /openapi.json is an OpenAPI 3.1 document generated from the schemas that validate the
 * requests, and it lists every route of docs/API.md: the two cannot drift apart.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useServer } from './http-support.ts';

const start = useServer();

/** `METHOD /path` of every row of docs/API.md's route table (`pause · resume` rows expanded). */
function documentedRoutes(): [string, string][] {
  const md = readFileSync(new URL('../../docs/API.md', import.meta.url), 'utf8');
  const routes: [string, string][] = [];
  for (const line of md.split('\n')) {
    const cell = /^\| `(GET|POST|PUT|DELETE|PATCH) ([^`]+)`( · [^|]+)? \|/.exec(line);
    if (!cell) continue;
    const [, method, path, more] = cell;
    routes.push([method!, path!]);
    for (const extra of more?.match(/`([^`]+)`/g) ?? []) {
      routes.push([method!, path!.replace(/[^/]+$/, extra.replaceAll('`', ''))]);
    }
  }
  return routes;
}

describe('GET /openapi.json', () => {
  it('is OpenAPI 3.1 and lists every route of docs/API.md', async () => {
    const t = await start();
    const a = await t.call('GET', '/openapi.json');
    expect(a.status).toBe(200);
    const doc = a.body;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: 'Kiln', version: expect.any(String) });

    const documented = documentedRoutes();
    expect(documented.length).toBeGreaterThanOrEqual(25);
    const missing = documented
      .filter(([, path]) => path !== '/openapi.json')
      .filter(([method, path]) => !doc.paths[path]?.[method.toLowerCase()])
      .map(([method, path]) => `${method} ${path}`);
    expect(missing).toEqual([]);

    // Every listed operation answers; each names its responses, and bodies have schemas.
    interface Operation {
      responses: Record<string, unknown>;
      requestBody?: { content: Record<string, { schema?: unknown }> };
    }
    const paths = doc.paths as Record<string, Record<string, Operation>>;
    for (const [path, operations] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(operations)) {
        expect(Object.keys(op.responses), `${method} ${path}`).not.toHaveLength(0);
        if (op.requestBody) {
          expect(
            op.requestBody.content['application/json']?.schema,
            `${method} ${path}`,
          ).toBeTruthy();
        }
      }
    }
    const schemas = doc.components.schemas;
    for (const name of [
      'Job',
      'Batch',
      'Template',
      'LogEntry',
      'ArtifactInfo',
      'Error',
      'JobPage',
    ]) {
      expect(schemas[name], name).toBeTruthy();
    }
    // Request bodies are strict: unknown fields are refused, and the document says so.
    expect(schemas.EnqueueJob.additionalProperties).toBe(false);
    expect(schemas.Job.properties.state.$ref ?? schemas.Job.properties.state.enum).toBeTruthy();
  });

  it('every documented route exists on the server (no 404 or 405 for its method)', async () => {
    const t = await start();
    const id = '01900000-0000-7000-8000-000000000000';
    for (const [method, path] of documentedRoutes()) {
      if (path === '/api/events') continue; // a stream; tested in events-*.test.ts
      const concrete = path.replace('{id}', id).replace('{name}', 'x');
      const a = await t.call(
        method,
        concrete,
        method === 'GET' || method === 'DELETE' ? undefined : {},
      );
      expect(a.body?.error?.code ?? 'ok', `${method} ${path}`).not.toMatch(
        /^(NOT_FOUND|METHOD_NOT_ALLOWED)$/,
      );
      expect(
        a.status,
        `${method} ${path} ${JSON.stringify(t.logs.filter((l) => l.level === 'error').at(-2))}`,
      ).toBeLessThan(500);
    }
  });
});
