/**
 * `kiln serve` as a real child process: refusing an exposed address without a token,
 * options from the environment, and a graceful shutdown on SIGTERM with a job running,
 * an event stream open and an idle keep-alive connection.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Kiln } from '../../src/index.ts';
import { runNode, supportFile, tempStore, waitFor } from '../support/helpers.ts';
import { testJobs } from '../support/test-jobs.ts';

const KILN = fileURLToPath(new URL('../../bin/kiln.ts', import.meta.url));
const TOKEN = 'serve-test-token-123';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function storeForTest() {
  const store = tempStore();
  cleanups.push(store.cleanup);
  return store;
}

interface Served {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts `kiln serve` and resolves once it printed its URL. */
async function serve(args: string[], env: NodeJS.ProcessEnv): Promise<Served> {
  const child = spawn(process.execPath, [KILN, 'serve', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KILN_STORE: '', KILN_HOST: '', KILN_TOKEN: '', ...env },
  });
  cleanups.push(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /serving (http:\/\/\S+?) /.exec(line);
      if (match) resolve(match[1]!);
    });
    void exited.then((code) => reject(new Error(`kiln serve exited (${code}): ${stderr}`)));
  });
  return { child, url, stderr: () => stderr, exited };
}

function logLines(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('kiln serve', () => {
  it('refuses a non-loopback address without a token: exit code 2 and why', async () => {
    const store = storeForTest();
    for (const [args, env] of [
      [['--host', '0.0.0.0', '--port', '0'], {}],
      [['--port', '0'], { KILN_HOST: '0.0.0.0' }],
      [['--host', '::', '--port', '0'], {}],
    ] as [string[], NodeJS.ProcessEnv][]) {
      const { code, stderr, stdout } = await runNode([KILN, 'serve', ...args], {
        KILN_STORE: store.url,
        KILN_TOKEN: '',
        ...env,
      }).done;
      expect(code, stderr).toBe(2);
      expect(stderr).toMatch(/refusing to listen on (0\.0\.0\.0|::) without a token/);
      expect(stderr).toContain('--token');
      expect(stdout).toBe('');
    }
  });

  it('refuses bad options with exit code 2', async () => {
    for (const args of [
      ['--port', 'eighty'],
      ['--port', '70000'],
      ['--concurrency', '0'],
      ['--body-limit', 'lots'],
      ['--prot', '80'],
      ['--jobs', 'no/such/module.ts'],
    ]) {
      const { code, stderr } = await runNode([KILN, 'serve', ...args]).done;
      expect(code, `${args.join(' ')}: ${stderr}`).toBe(2);
      expect(stderr).toContain('kiln serve --help');
    }
  });

  it('takes its options from the environment, a flag winning over a variable', async () => {
    const store = storeForTest();
    const served = await serve(['--host', '127.0.0.1'], {
      KILN_STORE: store.url,
      KILN_HOST: '0.0.0.0', // the flag wins: loopback, so no token needed
      KILN_PORT: '0',
      KILN_JOBS: supportFile('test-jobs.ts'),
      KILN_CONCURRENCY: '3',
      KILN_BODY_LIMIT: '1kb',
    });
    expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const types = (await (await fetch(`${served.url}/api/job-types`)).json()) as {
      items: { type: string }[];
    };
    expect(types.items.map((t: { type: string }) => t.type).sort()).toEqual(
      testJobs.map((j) => j.type).sort(),
    );
    const big = await fetch(`${served.url}/api/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'test', params: { value: 'x'.repeat(2_000) } }),
    });
    expect(big.status).toBe(413);
    const start = logLines(served.stderr()).find((l) => l.event === 'server:start');
    expect(start).toMatchObject({ concurrency: 3, bodyLimitBytes: 1024, auth: false });
    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
  });

  it('refuses loopback webhooks unless --allow-private-webhooks', async () => {
    const create = (url: string) =>
      fetch(`${url}/api/batches`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          jobs: [{ type: 'test', params: {} }],
          webhook: { url: 'http://127.0.0.1:9/hook' },
        }),
      });
    for (const [flags, status] of [
      [[], 400],
      [['--allow-private-webhooks'], 201],
    ] as [string[], number][]) {
      const store = storeForTest();
      const served = await serve(['--no-worker', ...flags], {
        KILN_STORE: store.url,
        KILN_PORT: '0',
        KILN_JOBS: supportFile('test-jobs.ts'),
        KILN_ALLOW_PRIVATE_WEBHOOKS: '',
      });
      const res = await create(served.url);
      const body = (await res.json()) as { error?: { code: string } };
      expect(res.status, JSON.stringify(body)).toBe(status);
      if (status === 400) expect(body.error?.code).toBe('INVALID_WEBHOOK');
      served.child.kill('SIGTERM');
      expect(await served.exited).toBe(0);
    }
  });

  it('shuts down gracefully on SIGTERM: streams end, the running job completes, exit 0', async () => {
    const store = storeForTest();
    const served = await serve([], {
      KILN_STORE: store.url,
      KILN_PORT: '0',
      KILN_TOKEN: TOKEN,
      KILN_JOBS: supportFile('test-jobs.ts'),
    });
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await fetch(`${served.url}/api/jobs`)).status).toBe(401);
    const job = (await (
      await fetch(`${served.url}/api/jobs`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'test', params: { action: 'sleep', ms: 1_500 } }),
      })
    ).json()) as { id: string };
    await waitFor(
      async () =>
        (
          (await (await fetch(`${served.url}/api/jobs/${job.id}`, { headers: auth })).json()) as {
            state: string;
          }
        ).state === 'running',
      { what: 'the job running' },
    );
    // A live event stream that would otherwise never end.
    const events = await fetch(`${served.url}/api/events`, { headers: auth });
    expect(events.status).toBe(200);
    const reader = events.body!.getReader();
    await reader.read();
    const streamEnded = (async () => {
      try {
        for (;;) if ((await reader.read()).done) return 'ended';
      } catch {
        return 'closed';
      }
    })();

    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
    expect(await streamEnded).toMatch(/ended|closed/);

    const lines = logLines(served.stderr());
    const events_ = lines.map((l) => l.event);
    expect(events_).toEqual(
      expect.arrayContaining(['server:start', 'server:stopping', 'server:stop']),
    );
    expect(events_.indexOf('server:stop')).toBeGreaterThan(events_.indexOf('server:stopping'));
    expect(lines.some((l) => l.event === 'http:request' && l.path === '/api/jobs')).toBe(true);
    expect(served.stderr()).not.toContain(TOKEN);

    const kiln = await Kiln.open({ store: store.url });
    try {
      const after = await kiln.jobs.get(job.id);
      expect(['completed', 'pending']).toContain(after?.state);
    } finally {
      await kiln.close();
    }
  });
});
