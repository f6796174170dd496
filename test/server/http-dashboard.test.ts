/**
 * The dashboard over a real socket: its files and client-side routes (no token needed,
 * strict headers), the API's paths untouched, and the browser session: POST
 * /api/session trades the token for a cookie the API, the event stream and downloads
 * accept like the bearer header; DELETE clears it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitForJob } from '../support/library.ts';
import { expectError, useServer } from './http-support.ts';

const start = useServer();
const TOKEN = 'dashboard-s3cret';

const uiDir = mkdtempSync(join(tmpdir(), 'kiln-ui-'));
mkdirSync(join(uiDir, 'assets'));
writeFileSync(join(uiDir, 'index.html'), '<!doctype html><title>Kiln test page</title>');
writeFileSync(join(uiDir, 'assets', 'index-abc123.js'), 'console.log(1)');
afterAll(() => rmSync(uiDir, { recursive: true, force: true }));

const cookieOf = (setCookie: string | null): string => {
  expect(setCookie).not.toBeNull();
  return setCookie!.split(';')[0]!;
};

describe('serving the dashboard', () => {
  it('answers index.html for / and every client route, without a token', async () => {
    const t = await start({ token: TOKEN, uiDir });
    for (const path of ['/', '/batches/new', '/batches/0190-x', '/jobs?state=failed', '/jobs/x']) {
      const a = await t.call('GET', path);
      expect(a.status, path).toBe(200);
      expect(a.text).toContain('Kiln test page');
      expect(a.headers.get('content-type')).toMatch(/^text\/html/);
      expect(a.headers.get('cache-control')).toBe('no-cache');
      expect(a.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(a.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(a.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('serves hashed assets as immutable; a missing asset is a 404', async () => {
    const t = await start({ uiDir });
    const a = await t.call('GET', '/assets/index-abc123.js');
    expect(a.status).toBe(200);
    expect(a.text).toBe('console.log(1)');
    expect(a.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(a.headers.get('cache-control')).toContain('immutable');
    const gone = await t.call('GET', '/assets/gone-000.js');
    expect(gone.status).toBe(404);
    // Refused like every route: a catalogued JSON error, never the page or plain text.
    expect(gone.body).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect((await t.raw('GET', '/assets/..%2f..%2fpackage.json')).status).not.toBe(200);
  });

  it('leaves the API alone: unknown /api paths stay JSON 404s, the API still needs the token', async () => {
    const t = await start({ token: TOKEN, uiDir });
    expectError(await t.call('GET', '/api/nothing'), 401, 'UNAUTHORIZED');
    expectError(await t.call('GET', '/metrics'), 401, 'UNAUTHORIZED');
    const auth = { authorization: `Bearer ${TOKEN}` };
    expectError(await t.call('GET', '/api/nothing', undefined, auth), 404, 'NOT_FOUND');
    expect((await t.call('GET', '/openapi.json', undefined, auth)).body.paths).toHaveProperty(
      '/api/session',
    );
  });

  it('without a build, / says how to make one', async () => {
    const t = await start({ uiDir: join(uiDir, 'missing') });
    const a = await t.call('GET', '/');
    expect(a.status).toBe(200);
    expect(a.text).toContain('npm run build:ui');
  });
});

describe('the browser session', () => {
  it('trades the token for a cookie that opens JSON routes, the event stream and downloads', async () => {
    const t = await start({ token: TOKEN, uiDir });
    const login = await t.call('POST', '/api/session', { token: TOKEN });
    expect(login.status).toBe(204);
    const setCookie = login.headers.get('set-cookie');
    expect(setCookie).toMatch(/^kiln_session=[0-9a-f]{64};/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).not.toMatch(/Secure/);
    expect(setCookie).not.toContain(TOKEN);
    const cookie = { cookie: cookieOf(setCookie) };

    const job = await t.call('POST', '/api/jobs', { type: 'test' }, cookie);
    expect(job.status).toBe(201);
    expect((await t.call('GET', `/api/jobs/${job.body.id}`, undefined, cookie)).status).toBe(200);

    // The event stream: headers and the first bytes, then let go.
    const controller = new AbortController();
    const stream = await fetch(`${t.url}/api/events`, {
      headers: cookie,
      signal: controller.signal,
    });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('retry:');
    controller.abort();

    // An artifact download, and the batch ZIP.
    const batch = await t.call(
      'POST',
      '/api/batches',
      { jobs: [{ type: 'curriculum', params: { subject: 'math', grade: 3, paceMs: 0 } }] },
      cookie,
    );
    expect(batch.status).toBe(201);
    t.work();
    const [only] = (await t.kiln.jobs.list({ batchId: batch.body.id })).items;
    await waitForJob(t.kiln, only!.id, 'completed');
    const file = await t.call(
      'GET',
      `/api/jobs/${only!.id}/artifacts/outline.md`,
      undefined,
      cookie,
    );
    expect(file.status).toBe(200);
    expect(file.text).toContain('Math');
    const zip = await t.call('GET', `/api/batches/${batch.body.id}/export`, undefined, cookie);
    expect(zip.status).toBe(200);
    expect(zip.headers.get('content-type')).toBe('application/zip');

    expect(JSON.stringify(t.logs)).not.toContain(TOKEN);
    expect(JSON.stringify(t.logs)).not.toContain(cookie.cookie.slice('kiln_session='.length));
  });

  it('a wrong token is 401 and sets nothing; a forged cookie is 401', async () => {
    const t = await start({ token: TOKEN });
    const before = await t.snapshot();
    const a = await t.call('POST', '/api/session', { token: `${TOKEN}x` });
    expectError(a, 401, 'UNAUTHORIZED');
    expect(a.headers.get('set-cookie')).toBeNull();
    expectError(
      await t.call('GET', '/api/jobs', undefined, { cookie: `kiln_session=${'0'.repeat(64)}` }),
      401,
      'UNAUTHORIZED',
    );
    expectError(await t.call('POST', '/api/session', {}), 400, 'INVALID_ARGUMENT');
    await t.expectUnchanged(before);
  });

  it('logout clears the cookie; over https (a proxy) the cookie is Secure', async () => {
    const t = await start({ token: TOKEN });
    const out = await t.call('DELETE', '/api/session');
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^kiln_session=;.*Max-Age=0/i);
    const secure = await t.call(
      'POST',
      '/api/session',
      { token: TOKEN },
      {
        'x-forwarded-proto': 'https',
      },
    );
    expect(secure.headers.get('set-cookie')).toMatch(/; Secure/);
  });

  it('a server without a token: login is a no-op 204, everything is open', async () => {
    const t = await start({ uiDir });
    const a = await t.call('POST', '/api/session', { token: 'anything' });
    expect(a.status).toBe(204);
    expect(a.headers.get('set-cookie')).toBeNull();
    expect((await t.call('GET', '/api/jobs')).status).toBe(200);
  });
});
