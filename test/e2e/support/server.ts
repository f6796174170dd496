/**
 * A real `kiln serve` child process for the browser tests: a fresh SQLite store in its own
 * folder under the OS temp dir (removed by `cleanup()`), the e2e job types (`--jobs
 * test/e2e/support/jobs.ts`), a free port. `stop()` is SIGTERM (a graceful shutdown),
 * `kill()` SIGKILL (a crash); `start()` again serves the same port and store.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../support/helpers.ts';

const KILN = fileURLToPath(new URL('../../../bin/kiln.ts', import.meta.url));
export const E2E_JOBS = fileURLToPath(new URL('./jobs.ts', import.meta.url));

export interface ServerOptions {
  /** Required on every request but /healthz (the dashboard's token form). */
  token?: string;
  /** The embedded worker's concurrency (default 10); 0 serves without a worker. */
  concurrency?: number;
  /** Another --jobs module (default the e2e job types). */
  jobs?: string;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export class KilnServer {
  readonly dir: string;
  readonly store: string;
  port = 0;
  url = '';
  /** Everything the processes printed on stderr (JSON log lines), every run appended. */
  stderr = '';
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  readonly options: ServerOptions;

  constructor(options: ServerOptions = {}) {
    this.options = options;
    this.dir = mkdtempSync(join(tmpdir(), 'kiln-e2e-'));
    this.store = `sqlite:${join(this.dir, 'kiln.db')}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Starts `kiln serve` (on the port of the last run, if any) and waits for /healthz. */
  async start(): Promise<this> {
    if (this.child) throw new Error('the server is already running');
    const o = this.options;
    const args = [
      '--max-semi-space-size=4',
      KILN,
      'serve',
      '--store',
      this.store,
      '--port',
      String(this.port),
      '--jobs',
      o.jobs ?? E2E_JOBS,
      ...(o.concurrency === 0 ? ['--no-worker'] : ['--concurrency', String(o.concurrency ?? 10)]),
    ];
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        KILN_STORE: '',
        KILN_HOST: '',
        KILN_PORT: '',
        KILN_JOBS: '',
        KILN_CONCURRENCY: '',
        KILN_TOKEN: o.token ?? '',
      },
    });
    this.child = child;
    live.add(child);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      this.stderr += d;
    });
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => {
        live.delete(child);
        if (this.child === child) this.child = undefined;
        resolve(code);
      }),
    );
    this.exited = exited.then(() => {});
    const url = await Promise.race([
      new Promise<string>((resolve) => {
        createInterface({ input: child.stdout! }).on('line', (line) => {
          const match = /serving (http:\/\/\S+?) /.exec(line);
          if (match) resolve(match[1]!);
        });
      }),
      exited.then((code) => {
        throw new Error(`kiln serve exited (${code}) before serving:\n${this.stderr.slice(-4000)}`);
      }),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('kiln serve did not start within 30 s')), 30_000).unref(),
      ),
    ]);
    this.url = url;
    this.port = Number(new URL(url).port);
    await waitFor(async () => (await fetch(`${url}/healthz`)).ok, {
      timeoutMs: 15_000,
      what: '/healthz',
    });
    return this;
  }

  /** SIGTERM, and waits for the exit (a graceful shutdown; SIGKILL after 15 s). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGKILL, and waits for the exit: a crash. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGKILL');
    await this.exited;
  }

  /** Stops the server and removes its folder. */
  async cleanup(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A JSON request to the API (with the token, if any); throws on a non-2xx answer. */
  async api<T = unknown>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
    const res = await this.request(path, init);
    const text = await res.text();
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  request(path: string, init: { method?: string; body?: unknown } = {}): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    return fetch(`${this.url}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers,
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
  }

  /** Creates a batch over the API; answers its id. */
  async createBatch(body: Record<string, unknown>): Promise<string> {
    return (await this.api<{ id: string }>('/api/batches', { body })).id;
  }

  async batch(id: string): Promise<Batch> {
    return this.api<Batch>(`/api/batches/${id}`);
  }

  /** Every job of a batch (all pages). */
  async jobsOf(batchId: string): Promise<Job[]> {
    const jobs: Job[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Job[]; nextCursor: string | null } = await this.api(
        `/api/jobs?batchId=${batchId}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
      );
      jobs.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return jobs;
  }

  async job(id: string): Promise<Job> {
    return this.api<Job>(`/api/jobs/${id}`);
  }

  async batches(): Promise<Batch[]> {
    return (await this.api<{ items: Batch[] }>('/api/batches?limit=1000')).items;
  }
}

export interface Batch {
  id: string;
  name: string | null;
  template: string | null;
  state: string;
  counts: {
    total: number;
    pending: number;
    running: number;
    completed: number;
    failed: number;
    cancelled: number;
  };
  progress: number;
}

export interface Job {
  id: string;
  name: string | null;
  type: string;
  state: string;
  attempt: number;
  params: Record<string, unknown>;
  progress: number;
  progressMessage: string | null;
  result: unknown;
}
