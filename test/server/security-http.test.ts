/**
 * docs/SECURITY.md's promises about what an answer may carry, on the in-process server
 * over a real socket (http-support.ts), on this project's store: an unexpected failure
 * is a bare 500 INTERNAL whose message and stack stay in the server's log; no refusal
 * carries more than `{ code, message, details? }`, nor a stack frame or a source path;
 * a request Node's HTTP parser refuses still gets the one JSON error body; and a session
 * cookie is worth only as much as the token it came from.
 */
import { createHash, scryptSync } from 'node:crypto';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { type Answer, expectError, useServer } from './http-support.ts';

const start = useServer();
const TOKEN = 'security-http-0c7e91b4d2';
const auth = { authorization: `Bearer ${TOKEN}` };
const ID = '01900000-0000-7000-8000-000000000000';

/** The repository's root: a source path in an answer would start with it. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** A V8 stack frame: `at fn (file:line:col)` or `at file:line:col`. */
const STACK_FRAME = /\bat .*:\d+:\d+/;

/** Nothing but the catalogue fields, and nothing that looks like a stack or a file. */
function expectBare(a: Answer, status: number, code: string): void {
  expectError(a, status, code);
  expect(a.text).not.toMatch(STACK_FRAME);
  expect(a.text).not.toContain(ROOT);
  expect(a.text).not.toMatch(/"stack"/);
  expect(a.headers.get('x-content-type-options')).toBe('nosniff');
}

/** One raw request on a fresh socket; resolves with all the server sent once it closes. */
function rawExchange(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    socket.on('data', (d: Buffer) => {
      received += d.toString('latin1');
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
    socket.end(bytes);
  });
}

describe('error answers', () => {
  it('an unexpected failure is a bare 500 INTERNAL; its message and stack go to the log only', async () => {
    const t = await start({ token: TOKEN });
    // A fault no route expects (a plain Error, not a KilnError) where the store is read,
    // with a message an operator may see but a client must not.
    const internal = 'connect ECONNREFUSED db-internal.example:5432';
    vi.spyOn(t.kiln.jobs, 'get').mockRejectedValue(new Error(internal));
    const a = await t.call('GET', `/api/jobs/${ID}`, undefined, auth);
    expect(a.status).toBe(500);
    expect(a.body).toEqual({ error: { code: 'INTERNAL', message: 'internal error' } });
    expect(a.text).not.toContain(internal);
    expect(a.text).not.toMatch(STACK_FRAME);
    // The operator gets what the client does not.
    const logged = t.logs.find((l) => l.event === 'http:error');
    expect(logged?.level).toBe('error');
    expect(logged?.fields).toMatchObject({ method: 'GET', path: `/api/jobs/${ID}` });
    expect(logged?.fields.message).toBe(internal);
    expect(logged?.fields.stack).toMatch(STACK_FRAME);
    expect(JSON.stringify(t.logs)).not.toContain(TOKEN);
  });

  it('no refusal carries a stack or a source path, whatever was refused', async () => {
    const t = await start({ token: TOKEN, bodyLimitBytes: 1_024 });
    const json = { 'content-type': 'application/json' };
    expectBare(await t.call('GET', '/api/jobs'), 401, 'UNAUTHORIZED');
    expectBare(
      await t.call('GET', '/api/jobs', undefined, { authorization: 'Bearer x' }),
      401,
      'UNAUTHORIZED',
    );
    expectBare(await t.call('GET', '/api/nope', undefined, auth), 404, 'NOT_FOUND');
    expectBare(await t.call('PATCH', '/api/jobs', undefined, auth), 405, 'METHOD_NOT_ALLOWED');
    expectBare(await t.call('POST', '/api/jobs', '{"type":', auth), 400, 'MALFORMED_JSON');
    expectBare(
      await t.call('POST', '/api/jobs', { type: 'test', extra: 1 }, auth),
      400,
      'UNKNOWN_OPTION',
    );
    expectBare(await t.call('POST', '/api/jobs', { type: 7 }, auth), 400, 'INVALID_ARGUMENT');
    expectBare(await t.call('POST', '/api/jobs', { type: 'nope' }, auth), 400, 'UNKNOWN_JOB_TYPE');
    expectBare(
      await t.call('POST', '/api/jobs', '{}', { ...auth, 'content-type': 'text/plain' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectBare(
      await t.call('POST', '/api/jobs', { type: 'test', params: { v: 'x'.repeat(2_000) } }, auth),
      413,
      'BODY_TOO_LARGE',
    );
    expectBare(await t.call('GET', `/api/jobs/${ID}`, undefined, auth), 404, 'JOB_NOT_FOUND');
    expectBare(
      await t.raw('GET', `/api/jobs/${ID}/artifacts/..%2f..%2fetc%2fpasswd`, auth),
      400,
      'INVALID_ARTIFACT_NAME',
    );
    expectBare(await t.raw('GET', '/api/jobs/../../etc/passwd', auth), 400, 'INVALID_ARGUMENT');
    expectBare(
      await t.call('POST', '/api/session', { token: `${TOKEN}x` }, json),
      401,
      'UNAUTHORIZED',
    );
    // The DNS-rebinding refusal of a server without a token.
    const open = await start();
    expectBare(
      await open.raw('GET', '/api/jobs', { host: 'evil.example' }),
      403,
      'HOST_NOT_ALLOWED',
    );
    expect(JSON.stringify(t.logs)).not.toContain(TOKEN);
  });

  it("a request Node's HTTP parser refuses gets the one JSON error body, and the server goes on", async () => {
    const t = await start({ token: TOKEN });
    const host = new URL(t.url).host;
    for (const [what, bytes] of [
      [
        'a header block over 16 KiB',
        `GET /api/jobs HTTP/1.1\r\nHost: ${host}\r\nX-Long: ${'a'.repeat(20_000)}\r\n\r\n`,
      ],
      [
        'a NUL in a header value',
        `GET /api/jobs HTTP/1.1\r\nHost: ${host}\r\nX-Bad: a\u0000b\r\n\r\n`,
      ],
      ['a header without a colon', `GET /api/jobs HTTP/1.1\r\nHost: ${host}\r\nNoColon\r\n\r\n`],
      ['a broken request line', 'GET\r\n\r\n'],
    ] as const) {
      const received = await rawExchange(t.url, bytes);
      expect(received, what).toMatch(/^HTTP\/1\.1 400 /);
      expect(received, what).toMatch(/\r\nx-content-type-options: nosniff\r\n/);
      const body = received.slice(received.indexOf('\r\n\r\n') + 4);
      expect(JSON.parse(body), what).toEqual({
        error: { code: 'INVALID_ARGUMENT', message: 'the request is not valid HTTP' },
      });
    }
    expect((await t.call('GET', '/healthz')).status).toBe(200);
    expect((await t.call('GET', '/api/jobs', undefined, auth)).status).toBe(200);
  });

  it('every answer says nosniff: JSON, the OpenAPI document, metrics and the event stream', async () => {
    const t = await start({ token: TOKEN });
    for (const path of ['/healthz', '/api/jobs', '/openapi.json', '/metrics']) {
      const a = await t.call('GET', path, undefined, auth);
      expect(a.status, path).toBe(200);
      expect(a.headers.get('x-content-type-options'), path).toBe('nosniff');
    }
    const stream = new AbortController();
    const events = await fetch(`${t.url}/api/events`, { headers: auth, signal: stream.signal });
    expect(events.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(events.headers.get('x-content-type-options')).toBe('nosniff');
    stream.abort();
  });
});

describe('the session cookie', () => {
  it('is worth only as much as its token: another token refuses it, and a bearer header wins over it', async () => {
    const first = await start({ token: TOKEN });
    const login = await first.call('POST', '/api/session', { token: TOKEN });
    expect(login.status).toBe(204);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    expect((await first.call('GET', '/api/jobs', undefined, { cookie })).status).toBe(200);
    // A wrong bearer header is refused even beside a good cookie: what is presented is
    // checked, never traded for another credential.
    expectBare(
      await first.call('GET', '/api/jobs', undefined, { cookie, authorization: 'Bearer nope' }),
      401,
      'UNAUTHORIZED',
    );
    // The same cookie on a server with another token (a rotated token): refused.
    const rotated = await start({ token: `${TOKEN}-rotated` });
    expectBare(await rotated.call('GET', '/api/jobs', undefined, { cookie }), 401, 'UNAUTHORIZED');
    const again = await rotated.call('POST', '/api/session', { token: `${TOKEN}-rotated` });
    expect(again.headers.get('set-cookie')!.split(';')[0]).not.toBe(cookie);
  });

  it('is the same on every server with the token, and not a fast hash of it', async () => {
    const first = await start({ token: TOKEN });
    const second = await start({ token: TOKEN });
    const login = await first.call('POST', '/api/session', { token: TOKEN });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    // Another server (a restart, a second one behind the same address) takes it.
    expect((await second.call('GET', '/api/jobs', undefined, { cookie })).status).toBe(200);
    const value = cookie.slice(cookie.indexOf('=') + 1);
    expect(value).toMatch(/^[0-9a-f]{64}$/);
    expect(value).not.toContain(TOKEN);
    // Not SHA-256 of the token (what it was before): a guess costs a scrypt, not a hash.
    for (const input of [TOKEN, `kiln-session\u0000${TOKEN}`]) {
      expect(value).not.toBe(createHash('sha256').update(input).digest('hex'));
    }
    expect(value).toBe(
      scryptSync(TOKEN, 'kiln-session', 32, { N: 2 ** 14, r: 8, p: 1 }).toString('hex'),
    );
  });
});

describe('the token', () => {
  it('shorter than 16 characters is accepted with a warning in the log', async () => {
    const short = await start({ token: 'short-token' });
    expect(short.logs.find((l) => l.event === 'server:short-token')).toMatchObject({
      level: 'warn',
      fields: { length: 11 },
    });
    expect(
      (await short.call('GET', '/api/jobs', undefined, { authorization: 'Bearer short-token' }))
        .status,
    ).toBe(200);
    const long = await start({ token: TOKEN });
    expect(long.logs.some((l) => l.event === 'server:short-token')).toBe(false);
  });
});
