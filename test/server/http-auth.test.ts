/**
 * Bearer-token auth over a real socket: with a token, /healthz stays open and every
 * other route answers 401 UNAUTHORIZED (with `WWW-Authenticate: Bearer`) without the
 * right token, before it reads anything; the token never reaches a log line. Without a
 * token everything is open.
 */
import { describe, expect, it } from 'vitest';
import { expectError, useServer } from './http-support.ts';

const start = useServer();
const TOKEN = 's3cret-token-for-tests';

/** One request per route of docs/API.md, as a client without the token would send it. */
const ROUTES: [string, string, unknown?][] = [
  ['POST', '/api/jobs', { type: 'test' }],
  ['POST', '/api/jobs/bulk', { jobs: [{ type: 'test' }] }],
  ['GET', '/api/jobs'],
  ['GET', '/api/jobs/01900000-0000-7000-8000-000000000000'],
  ['POST', '/api/jobs/01900000-0000-7000-8000-000000000000/cancel'],
  ['POST', '/api/jobs/01900000-0000-7000-8000-000000000000/retry'],
  ['DELETE', '/api/jobs/01900000-0000-7000-8000-000000000000'],
  ['GET', '/api/jobs/01900000-0000-7000-8000-000000000000/logs'],
  ['GET', '/api/jobs/01900000-0000-7000-8000-000000000000/artifacts'],
  ['GET', '/api/jobs/01900000-0000-7000-8000-000000000000/artifacts/deck.html'],
  ['POST', '/api/batches', { template: 'curriculum-grid' }],
  ['GET', '/api/batches'],
  ['GET', '/api/batches/01900000-0000-7000-8000-000000000000'],
  ['POST', '/api/batches/01900000-0000-7000-8000-000000000000/pause'],
  ['GET', '/api/batches/01900000-0000-7000-8000-000000000000/export'],
  ['GET', '/api/templates'],
  ['POST', '/api/templates', { name: 'x', type: 'test' }],
  ['PUT', '/api/templates/x', { type: 'test' }],
  ['DELETE', '/api/templates/curriculum-grid'],
  ['GET', '/api/job-types'],
  ['GET', '/api/events'],
  ['GET', '/metrics'],
  ['GET', '/openapi.json'],
  ['GET', '/api/no-such-route'],
];

describe('with a token', () => {
  it('/healthz is open; every other route is 401 without the token or with a wrong one', async () => {
    const t = await start({ token: TOKEN });
    expect((await t.call('GET', '/healthz')).body).toEqual({ ok: true });
    const before = await t.snapshot();
    for (const [method, path, body] of ROUTES) {
      for (const headers of [
        {} as Record<string, string>,
        { authorization: `Bearer ${TOKEN}x` },
        { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
        { authorization: 'Bearer ' },
        { authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` },
        { authorization: TOKEN },
      ]) {
        const a = await t.call(method, path, body, headers);
        expectError(a, 401, 'UNAUTHORIZED');
        expect(a.headers.get('www-authenticate')).toMatch(/^Bearer/);
      }
    }
    await t.expectUnchanged(before);
  });

  it('the right token opens every route, and no log line holds it', async () => {
    const t = await start({ token: TOKEN });
    const auth = { authorization: `Bearer ${TOKEN}` };
    const created = await t.call('POST', '/api/jobs', { type: 'test' }, auth);
    expect(created.status).toBe(201);
    expect((await t.call('GET', `/api/jobs/${created.body.id}`, undefined, auth)).status).toBe(200);
    expect(
      (await t.call('GET', '/api/job-types', undefined, { authorization: `bearer ${TOKEN}` }))
        .status,
    ).toBe(200);
    expect((await t.call('GET', '/openapi.json', undefined, auth)).body.openapi).toBe('3.1.0');
    expect((await t.call('GET', '/api/nope', undefined, auth)).status).toBe(404);
    await t.call('GET', '/api/jobs', undefined, { authorization: `Bearer ${TOKEN}x` });
    expect(t.logs.length).toBeGreaterThan(0);
    expect(JSON.stringify(t.logs)).not.toContain(TOKEN);
  });
});

describe('without a token', () => {
  it('every route is open (the server listens on loopback only)', async () => {
    const t = await start();
    expect((await t.call('GET', '/api/jobs')).status).toBe(200);
    expect((await t.call('POST', '/api/jobs', { type: 'test' })).status).toBe(201);
    // A token sent to a server without one is simply not needed.
    expect(
      (await t.call('GET', '/api/jobs', undefined, { authorization: 'Bearer anything' })).status,
    ).toBe(200);
  });

  // DNS rebinding: a page on evil.example re-points its name at 127.0.0.1 and, to the
  // browser, is then same-origin with the server. Only requests to this machine's names
  // are answered by a server without a token; a token server needs no such check.
  it('answers only requests addressed to localhost; a token server answers any host', async () => {
    const t = await start();
    const before = await t.snapshot();
    for (const host of [
      'evil.example',
      'evil.example:7300',
      '10.0.0.5',
      'localhost.evil.example',
    ]) {
      const refused = await t.raw(
        'POST',
        '/api/jobs',
        { host, 'content-type': 'application/json' },
        '{"type":"test"}',
      );
      expectError(refused, 403, 'HOST_NOT_ALLOWED');
      expectError(await t.raw('GET', '/api/jobs', { host }), 403, 'HOST_NOT_ALLOWED');
      expectError(await t.raw('GET', '/', { host }), 403, 'HOST_NOT_ALLOWED');
    }
    await t.expectUnchanged(before);
    const port = new URL(t.url).port;
    for (const host of [
      'localhost',
      `localhost:${port}`,
      `127.0.0.1:${port}`,
      `[::1]:${port}`,
      'app.localhost',
    ]) {
      expect((await t.raw('GET', '/api/jobs', { host })).status, host).toBe(200);
    }
    // A page of another site posting to 127.0.0.1 itself: refused before it acts.
    const job = await t.call('POST', '/api/jobs', { type: 'test' });
    const mid = await t.snapshot();
    const crossSite: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'cross-site' },
      { origin: 'null' },
    ];
    for (const headers of crossSite) {
      expectError(
        await t.raw('POST', `/api/jobs/${job.body.id}/cancel`, {
          ...headers,
          'content-type': 'text/plain',
        }),
        403,
        'HOST_NOT_ALLOWED',
      );
    }
    await t.expectUnchanged(mid);
    // The dashboard itself (same origin) and clients that send no Origin still act.
    const own = { origin: t.url, 'sec-fetch-site': 'same-origin' };
    expect((await t.raw('POST', `/api/jobs/${job.body.id}/cancel`, own)).status).toBe(200);
    const withToken = await start({ token: TOKEN });
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect(
      (await withToken.raw('GET', '/api/jobs', { host: 'kiln.example.com', ...auth })).status,
    ).toBe(200);
    expect((await withToken.raw('GET', '/api/jobs', { host: 'kiln.example.com' })).status).toBe(
      401,
    );
  });

  it('refuses to start on a non-loopback address', async () => {
    await expect(start({ host: '0.0.0.0' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('without a token'),
    });
  });
});
