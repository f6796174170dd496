/**
 * docs/SECURITY.md's promises about secrets, on a real `kiln serve` process (the token
 * by KILN_TOKEN, a webhook secret by KILN_WEBHOOK_SECRET, on this project's store; on
 * PostgreSQL its URL carries a password, which trust auth ignores): no secret in
 * anything the process prints, from start to a graceful stop, whatever it was sent;
 * the store's password shown as `***`; a refusal never echoes the credentials it was
 * given; a token in the query string opens nothing; the session cookie a digest; and
 * `kiln list` against it, with the right token or a wrong one, prints no token either.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { runNode, waitFor } from '../support/helpers.ts';
import { newTestStore, STORE_KIND } from '../support/stores.ts';

const KILN = fileURLToPath(new URL('../../bin/kiln.ts', import.meta.url));
const TOKEN = 'tok-7f3a9c41e2b84d6f9a1c';
const WEBHOOK_SECRET = 'whsec-test-5d2e8b1f0c9a';
const DB_PASSWORD = 'db-pass-81c4e6a2';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** This project's store, with a password in the URL on PostgreSQL. */
function storeUrl(): string {
  const store = newTestStore();
  cleanups.push(() => store.cleanup());
  return STORE_KIND === 'postgres'
    ? store.url.replace('postgres://root@', `postgres://root:${DB_PASSWORD}@`)
    : store.url;
}

interface Served {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

async function serve(store: string): Promise<Served> {
  const child = spawn(process.execPath, [KILN, 'serve', '--store', store, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      KILN_HOST: '',
      KILN_STORE: '',
      KILN_TOKEN: TOKEN,
      KILN_WEBHOOK_SECRET: WEBHOOK_SECRET,
    },
  });
  cleanups.push(() => {
    child.kill('SIGKILL');
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    output += d.toString();
  });
  // 'close', not 'exit': by then every byte the process wrote has been read, so a check
  // of its output after the exit sees all of it.
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  const url = await waitFor(() => /serving (http:\/\/\S+?) /.exec(output)?.[1], {
    timeoutMs: 30_000,
    what: 'kiln serve to print its URL',
  });
  // The dispatcher says which webhook secret signs when it starts.
  await waitFor(() => output.includes('"webhook.secret"'), { what: 'the webhook.secret line' });
  return { child, url, output: () => output, exited };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

it(`no secret in anything kiln serve prints; the store password is *** (${STORE_KIND})`, {
  timeout: 90_000,
}, async () => {
  const store = storeUrl();
  const s = await serve(store);
  const job = { type: 'curriculum', params: { subject: 'math', grade: 3 } };
  // Right, wrong and malformed credentials, a login, refusals and a server error path.
  const post = (path: string, body: unknown, headers: Record<string, string>) =>
    fetch(`${s.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  expect((await post('/api/jobs', job, bearer(TOKEN))).status).toBe(201);
  expect((await post('/api/jobs', job, bearer(`${TOKEN}x`))).status).toBe(401);
  expect((await post('/api/jobs', job, { authorization: `Basic ${TOKEN}` })).status).toBe(401);
  expect((await post('/api/session', { token: TOKEN }, {})).status).toBe(204);
  expect((await post('/api/session', { token: `${TOKEN}x` }, {})).status).toBe(401);
  expect((await post('/api/jobs', { type: 'nope' }, bearer(TOKEN))).status).toBe(400);
  expect((await fetch(`${s.url}/api/jobs?token=${TOKEN}`)).status).toBe(401);
  // The CLI against it: the token by KILN_TOKEN or --token opens it, a wrong one is exit
  // 4, and what the CLI prints holds no token either way.
  for (const [args, env, code] of [
    [[], { KILN_TOKEN: TOKEN }, 0],
    [['--token', TOKEN], { KILN_TOKEN: '' }, 0],
    [[], { KILN_TOKEN: `${TOKEN}x` }, 4],
  ] as const) {
    const cli = await runNode([KILN, 'list', '--url', s.url, ...args], env).done;
    expect(cli.code, cli.stderr).toBe(code);
    expect(cli.stdout + cli.stderr).not.toContain(TOKEN);
  }

  s.child.kill('SIGTERM');
  expect(await s.exited).toBe(0);
  const output = s.output();
  expect(output).toContain('"event":"server:start"');
  expect(output).toContain('"event":"http:request"');
  expect(output).not.toContain(TOKEN);
  expect(output).not.toContain(WEBHOOK_SECRET);
  expect(output).not.toContain(DB_PASSWORD);
  const start = output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { event?: string; store?: string })
    .find((l) => l.event === 'server:start');
  if (STORE_KIND === 'postgres') expect(start?.store).toContain('root:***@');
  else expect(start?.store).toBe(store);
});

it('a refusal never echoes the credentials it was given; a query-string token opens nothing', async () => {
  const s = await serve(storeUrl());
  for (const headers of [
    bearer(`${TOKEN}x`),
    { authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` },
    { cookie: `kiln_session=${TOKEN}` },
  ]) {
    const res = await fetch(`${s.url}/api/jobs`, { headers });
    const text = await res.text();
    expect(res.status).toBe(401);
    expect(JSON.parse(text).error.code).toBe('UNAUTHORIZED');
    expect(text).not.toContain(TOKEN);
  }
  // A token in a URL ends up in proxy logs and browser history: Kiln never takes one.
  for (const q of ['token', 'access_token', 'kiln_session']) {
    expect((await fetch(`${s.url}/api/jobs?${q}=${TOKEN}`)).status).toBe(401);
  }
  // The raw token as a cookie is not a session: the cookie holds a digest of it.
  const login = await fetch(`${s.url}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: TOKEN }),
  });
  const cookie = login.headers.get('set-cookie') ?? '';
  expect(cookie).toMatch(/^kiln_session=[0-9a-f]{64}; /);
  expect(cookie).toMatch(/HttpOnly/);
  expect(cookie).toMatch(/SameSite=Strict/);
  expect(cookie).not.toContain(TOKEN);
});
