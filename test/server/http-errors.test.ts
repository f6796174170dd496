/**
 * Bad input over a real socket (guarantee 8): malformed JSON, the wrong content type,
 * unknown fields, wrong types, unknown job types, params failing their schema, bodies
 * over the limit (with and without a content-length), unknown routes and methods, and
 * artifact names that try to leave the job's folder. Each is a 4xx with the catalogue
 * body, never a 5xx, and the store is exactly as before.
 */

import { writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitForJob } from '../support/library.ts';
import { type Answer, expectError, slides, type TestServer, useServer } from './http-support.ts';

const start = useServer();

/** A server with one job and one batch in it, and a refusal checker. */
async function seeded(options: Parameters<typeof start>[0] = {}) {
  const t = await start(options);
  await t.call('POST', '/api/jobs', { type: 'test' });
  await t.kiln.batches.create({ jobs: [{ type: 'test', params: {} }] });
  const refused = async (a: Promise<Answer> | Answer, status: number, code: string) => {
    const before = await t.snapshot();
    expectError(await a, status, code);
    await t.expectUnchanged(before);
  };
  return { t, refused };
}

describe('request bodies', () => {
  it('malformed JSON is MALFORMED_JSON', async () => {
    const { t, refused } = await seeded();
    for (const body of ['{"type": "test",', '', 'undefined', "{'type':'test'}", '{"a":1}}']) {
      await refused(t.call('POST', '/api/jobs', body), 400, 'MALFORMED_JSON');
    }
    await refused(t.call('POST', '/api/batches', '[{'), 400, 'MALFORMED_JSON');
    await refused(t.call('PUT', '/api/templates/x', '{'), 400, 'MALFORMED_JSON');
  });

  it('a body that is not JSON is UNSUPPORTED_MEDIA_TYPE', async () => {
    const { t, refused } = await seeded();
    const json = JSON.stringify({ type: 'test' });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']) {
      await refused(
        t.call('POST', '/api/jobs', json, { 'content-type': type }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
    }
    // No content type at all, with a body.
    await refused(t.raw('POST', '/api/jobs', {}, json), 415, 'UNSUPPORTED_MEDIA_TYPE');
    // application/json with a charset is fine.
    const ok = await t.call('POST', '/api/jobs', json, {
      'content-type': 'application/json; charset=utf-8',
    });
    expect(ok.status).toBe(201);
  });

  it('unknown fields are UNKNOWN_OPTION, naming the field', async () => {
    const { t, refused } = await seeded();
    const a = await t.call('POST', '/api/jobs', { type: 'test', prioirty: 3 });
    await refused(a, 400, 'UNKNOWN_OPTION');
    expect(a.body.error.message).toContain('prioirty');
    expect(a.body.error.details.issues).toEqual([
      { path: 'prioirty', message: 'unknown field `prioirty`' },
    ]);
    await refused(
      t.call('POST', '/api/jobs/bulk', { jobs: [{ type: 'test', extra: 1 }] }),
      400,
      'UNKNOWN_OPTION',
    );
    await refused(
      t.call('POST', '/api/batches', { jobs: [{ type: 'test' }], webhok: 'x' }),
      400,
      'UNKNOWN_OPTION',
    );
    await refused(
      t.call('POST', '/api/templates', { name: 'n', type: 'test', gird: {} }),
      400,
      'UNKNOWN_OPTION',
    );
  });

  it('wrong types and shapes are INVALID_ARGUMENT with every issue listed', async () => {
    const { t, refused } = await seeded();
    const a = await t.call('POST', '/api/jobs', { type: 7, priority: 'high', runAt: 'tomorrow' });
    await refused(a, 400, 'INVALID_ARGUMENT');
    expect(a.body.error.details.issues.map((i: { path: string }) => i.path).sort()).toEqual([
      'priority',
      'runAt',
      'type',
    ]);
    for (const body of [
      null,
      [],
      'a string',
      42,
      {},
      { type: 'test', priority: 1.5 },
      { type: 'test', priority: 10_000_000 },
      { type: 'test', idempotencyKey: '' },
      { type: 'test', name: 'x'.repeat(201) },
    ]) {
      await refused(t.call('POST', '/api/jobs', JSON.stringify(body)), 400, 'INVALID_ARGUMENT');
    }
    await refused(t.call('POST', '/api/jobs/bulk', { jobs: [] }), 400, 'INVALID_ARGUMENT');
    await refused(t.call('POST', '/api/jobs/bulk', { jobs: {} }), 400, 'INVALID_ARGUMENT');
    await refused(t.call('POST', '/api/batches', {}), 400, 'INVALID_ARGUMENT');
    await refused(
      t.call('POST', '/api/batches', { jobs: [{ type: 'test' }], template: 'curriculum-grid' }),
      400,
      'INVALID_ARGUMENT',
    );
    await refused(
      t.call('POST', '/api/batches', { template: 'curriculum-grid', grid: { subject: [] } }),
      400,
      'INVALID_ARGUMENT',
    );
    await refused(
      t.call('POST', '/api/batches', { jobs: [{ type: 'test' }], metadata: [1] }),
      400,
      'INVALID_ARGUMENT',
    );
    await refused(
      t.call('POST', '/api/templates', { name: '../evil', type: 'test' }),
      400,
      'INVALID_ARGUMENT',
    );
  });

  it('an unknown job type is UNKNOWN_JOB_TYPE, params failing the schema VALIDATION_FAILED', async () => {
    const { t, refused } = await seeded();
    const unknown = await t.call('POST', '/api/jobs', { type: 'rocket', params: {} });
    await refused(unknown, 400, 'UNKNOWN_JOB_TYPE');
    expect(unknown.body.error.details.known).toContain('presentation');
    const invalid = await t.call('POST', '/api/jobs', {
      type: 'presentation',
      params: { title: '', slides: [] },
    });
    await refused(invalid, 400, 'VALIDATION_FAILED');
    expect(invalid.body.error.details.issues.map((i: { path: string }) => i.path)).toEqual([
      'title',
      'slides',
    ]);
    await refused(
      t.call('POST', '/api/batches', {
        jobs: [{ type: 'presentation', params: slides(1) }, { type: 'rocket' }],
      }),
      400,
      'UNKNOWN_JOB_TYPE',
    );
    await refused(
      t.call('POST', '/api/batches', {
        template: 'curriculum-grid',
        params: { paceMs: -1 },
      }),
      400,
      'VALIDATION_FAILED',
    );
    await refused(
      t.call('POST', '/api/templates', { name: 'x', type: 'rocket' }),
      400,
      'UNKNOWN_JOB_TYPE',
    );
    await refused(
      t.call('POST', '/api/batches', { template: 'no-such-template' }),
      404,
      'TEMPLATE_NOT_FOUND',
    );
  });
});

describe('the body limit', () => {
  const limit = 2_048;
  const big = () => ({ type: 'test', params: { value: 'x'.repeat(limit) } });

  it('refuses a body over the limit by its content-length', async () => {
    const { t, refused } = await seeded({ bodyLimitBytes: limit });
    const a = await t.call('POST', '/api/jobs', big());
    await refused(a, 413, 'BODY_TOO_LARGE');
    expect(a.body.error.details).toEqual({ limitBytes: limit });
    // Just under the limit is fine.
    const fits = { type: 'test', params: { value: '' } };
    const room = limit - JSON.stringify(fits).length;
    expect(
      (await t.call('POST', '/api/jobs', { type: 'test', params: { value: 'y'.repeat(room) } }))
        .status,
    ).toBe(201);
  });

  it('refuses a chunked body (no content-length) once it passes the limit', async () => {
    const { t, refused } = await seeded({ bodyLimitBytes: limit });
    const bytes = new TextEncoder().encode(JSON.stringify(big()));
    const chunked = () =>
      fetch(`${t.url}/api/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: new ReadableStream({
          start(controller) {
            for (let at = 0; at < bytes.length; at += 500)
              controller.enqueue(bytes.slice(at, at + 500));
            controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit).then(async (r) => {
        expect(r.headers.get('content-length')).not.toBeNull();
        return { status: r.status, headers: r.headers, text: '', body: await r.json() };
      });
    await refused(chunked(), 413, 'BODY_TOO_LARGE');
  });

  it('refuses a body far over the limit sent raw, and the connection can be used again', async () => {
    const { t } = await seeded({ bodyLimitBytes: limit });
    const before = await t.snapshot();
    const body = JSON.stringify({ type: 'test', params: { value: 'z'.repeat(1 << 20) } });
    const a = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const { hostname, port } = new URL(t.url);
      const req = httpRequest(
        {
          host: hostname,
          port,
          method: 'POST',
          path: '/api/jobs',
          headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        },
        (res) => {
          let text = '';
          res.on('data', (c) => {
            text += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 10_000));
      req.end(body.slice(10_000));
    });
    expect(a.status).toBe(413);
    expect(JSON.parse(a.body).error.code).toBe('BODY_TOO_LARGE');
    await t.expectUnchanged(before);
    expect((await t.call('GET', '/healthz')).status).toBe(200);
  });
});

describe('routes', () => {
  it('an unknown route is NOT_FOUND; a known path with another method METHOD_NOT_ALLOWED', async () => {
    const { t, refused } = await seeded();
    await refused(t.call('GET', '/api/nothing'), 404, 'NOT_FOUND');
    // `/` is the dashboard now (http-dashboard.test.ts); `/api` itself is no route.
    await refused(t.call('GET', '/api'), 404, 'NOT_FOUND');
    await refused(t.call('POST', '/api/jobs/x/y/z'), 404, 'NOT_FOUND');
    const a = await t.call('DELETE', '/api/jobs');
    await refused(a, 405, 'METHOD_NOT_ALLOWED');
    expect(a.headers.get('allow')).toBe('GET, HEAD, POST');
    await refused(t.call('PUT', '/api/jobs/abc'), 405, 'METHOD_NOT_ALLOWED');
    await refused(t.call('GET', '/api/jobs/abc/cancel'), 405, 'METHOD_NOT_ALLOWED');
    await refused(t.call('PATCH', '/api/templates/x', {}), 405, 'METHOD_NOT_ALLOWED');
  });

  it('unknown batch and template names are 404 with their own codes', async () => {
    const { t, refused } = await seeded();
    const id = '01900000-0000-7000-8000-000000000000';
    for (const p of ['', '/pause', '/resume', '/cancel', '/retry-failed']) {
      const method = p === '' ? 'GET' : 'POST';
      await refused(t.call(method, `/api/batches/${id}${p}`), 404, 'BATCH_NOT_FOUND');
      await refused(t.call(method, `/api/batches/nope${p}`), 404, 'BATCH_NOT_FOUND');
    }
    await refused(t.call('GET', '/api/templates/nope'), 404, 'TEMPLATE_NOT_FOUND');
    await refused(t.call('DELETE', '/api/templates/nope'), 404, 'TEMPLATE_NOT_FOUND');
  });
});

describe('artifact names', () => {
  async function withFiles(): Promise<{ t: TestServer; id: string; secret: string }> {
    const { t } = await seeded();
    const { id } = (await t.call('POST', '/api/jobs', { type: 'presentation', params: slides(1) }))
      .body;
    t.work();
    await waitForJob(t.kiln, id, 'completed');
    // A file beside the job's folder that a path trick would reach.
    const folder = t.kiln.artifacts.path(id);
    const secret = 'TOP SECRET';
    if (folder) writeFileSync(join(folder, '..', 'secret.txt'), secret);
    writeFileSync(join(t.store.dir, 'secret.txt'), secret);
    return { t, id, secret };
  }

  it('names with path tricks are INVALID_ARTIFACT_NAME, never a file outside the folder', async () => {
    const { t, id, secret } = await withFiles();
    const base = `/api/jobs/${id}/artifacts`;
    for (const name of [
      '..',
      '../secret.txt',
      '../../secret.txt',
      '../../../../etc/passwd',
      './deck.html',
      '%2e%2e',
      '%2E%2E',
      '.%2e',
      '..%2fsecret.txt',
      '..%2Fsecret.txt',
      '%2e%2e%2fsecret.txt',
      '..%5csecret.txt',
      'deck.html%00.txt',
      '%00',
      '.hidden',
      'a..b',
      '%2fetc%2fpasswd',
      `${'a'.repeat(129)}`,
    ]) {
      const before = await t.snapshot();
      const a = await t.raw('GET', `${base}/${name}`);
      expect(a.text).not.toContain(secret);
      expectError(a, 400, 'INVALID_ARTIFACT_NAME');
      await t.expectUnchanged(before);
    }
    // A raw backslash is refused by the HTTP parser itself, with the same error body.
    const backslash = await t.raw('GET', `${base}/..\\secret.txt`);
    expect(backslash.text).not.toContain(secret);
    expectError(backslash, 400, 'INVALID_ARGUMENT');
    // A slash inside the name leaves the route: no route, never a file.
    const nested = await t.raw('GET', `${base}/a/b`);
    expect(nested.text).not.toContain(secret);
    expectError(nested, 404, 'NOT_FOUND');
    // The real file is still served.
    expect((await t.raw('GET', `${base}/deck.html`)).status).toBe(200);
  });
});

describe('never a 5xx', () => {
  // Found by the fuzzer: PostgreSQL cannot hold U+0000 in text, SQLite can. On either
  // store a NUL in a name, a key, an id or a filter is an answer, not a 500: found or
  // not found, or refused as bad input, and a refusal changes nothing. A name or key to
  // store is refused alike on both stores (the first four requests).
  it('a NUL character in a name, key, id or filter is never a 5xx', async () => {
    const { t } = await seeded();
    const nul = 'a\u0000b';
    const requests: [string, string, unknown?][] = [
      ['POST', '/api/jobs', { type: 'test', name: nul }],
      ['POST', '/api/jobs', { type: 'test', idempotencyKey: nul }],
      ['POST', '/api/batches', { name: nul, jobs: [{ type: 'test', params: {} }] }],
      ['POST', '/api/batches', { jobs: [{ type: 'test', params: {}, name: nul }] }],
      ['GET', `/api/templates/${encodeURIComponent(nul)}`],
      ['GET', `/api/jobs/${encodeURIComponent(nul)}`],
      ['GET', `/api/batches/${encodeURIComponent(nul)}`],
      ['GET', `/api/jobs?type=${encodeURIComponent(nul)}`],
      ['GET', `/api/batches?q=${encodeURIComponent(nul)}`],
      ['GET', `/api/batches?template=${encodeURIComponent(nul)}`],
    ];
    for (const [i, [method, path, body]] of requests.entries()) {
      const before = await t.snapshot();
      const a = await t.call(method, path, body);
      expect(a.status, `${method} ${path}: ${a.text}`).toBeLessThan(500);
      if (i < 4) expect(a.body.error?.code, `${method} ${path}`).toBe('INVALID_ARGUMENT');
      if (a.status >= 400) {
        expect([
          'INVALID_ARGUMENT',
          'JOB_NOT_FOUND',
          'BATCH_NOT_FOUND',
          'TEMPLATE_NOT_FOUND',
        ]).toContain(a.body.error.code);
        await t.expectUnchanged(before);
      }
    }
  });

  it('a handler that throws something unexpected is a logged 500 INTERNAL without details', async () => {
    const t = await start();
    // Make the store fail underneath the route: close it.
    await t.kiln.store.close();
    const a = await t.call('GET', '/api/jobs/01900000-0000-7000-8000-000000000000');
    expect(a.status).toBeGreaterThanOrEqual(500);
    expect(['INTERNAL', 'STORE_CLOSED']).toContain(a.body.error.code);
    if (a.body.error.code === 'INTERNAL') {
      expect(a.body.error.message).toBe('internal error');
      const logged = t.logs.find((l) => l.event === 'http:error');
      expect(logged?.fields.stack).toEqual(expect.any(String));
    }
  });
});
