/**
 * The processes under test: one `kiln serve` (the HTTP API and the event stream, no
 * embedded worker, so a server kill and a worker kill are separate events) and N
 * `kiln worker` processes, all started through the real CLI (bin/kiln.ts) with the chaos
 * job type loaded by `--jobs`, as a user would run them. Restarts reuse the server's
 * port, so clients reconnect to the same address.
 */
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type Proc, spawnNode } from '../shared/processes.ts';

const KILN = fileURLToPath(new URL('../../bin/kiln.ts', import.meta.url));
export const CHAOS_JOBS = fileURLToPath(new URL('./chaos-job.ts', import.meta.url));
/** As `npm run kiln` runs it. */
const NODE_FLAGS = ['--max-semi-space-size=4'];
const START_TIMEOUT_MS = 60_000;

export interface WorkerLife {
  index: number;
  pid: number;
  /** The lease owner its jobs carry. */
  workerId: string;
  startedAtMs: number;
  killedAtMs: number | null;
}

export interface ClusterOptions {
  storeUrl: string;
  workers: number;
  concurrency: number;
  /** Where the chaos job type writes its attempt lines. */
  logDir: string;
  /** PGAPPNAME prefix of every process of this run. */
  appPrefix: string;
}

/** A TCP port free on loopback now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** The value of `event` in a JSON log line, or undefined. */
export function logEvent(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export class Cluster {
  server: Proc | undefined;
  readonly workers: (Proc | undefined)[];
  /** Every worker process that ran, killed or not. */
  readonly lives: WorkerLife[] = [];
  port = 0;
  /** Processes that exited without being killed or stopped by us: a crash is a finding. */
  readonly crashes: string[] = [];
  private readonly current = new Map<number, WorkerLife>();
  private readonly meant = new WeakSet<Proc>();

  readonly o: ClusterOptions;

  constructor(o: ClusterOptions) {
    this.o = o;
    this.workers = Array.from({ length: o.workers }, () => undefined);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async startServer(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    const p = spawnNode('server', this.o.appPrefix, [
      ...NODE_FLAGS,
      KILN,
      'serve',
      '--store',
      this.o.storeUrl,
      '--port',
      String(this.port),
      '--no-worker',
      '--jobs',
      CHAOS_JOBS,
      // The batch of 10,000 jobs is one request of about 1 MB.
      '--body-limit',
      '32mb',
    ]);
    this.server = p;
    this.watch(p);
    await p.waitLine(
      (l) => logEvent(l)?.event === 'server:start',
      START_TIMEOUT_MS,
      'server:start',
    );
  }

  async startWorker(index: number): Promise<void> {
    const p = spawnNode(
      `worker ${index}`,
      this.o.appPrefix,
      [
        ...NODE_FLAGS,
        KILN,
        'worker',
        '--store',
        this.o.storeUrl,
        '--jobs',
        CHAOS_JOBS,
        '--concurrency',
        String(this.o.concurrency),
      ],
      { KILN_CHAOS_LOG: this.o.logDir },
    );
    this.workers[index] = p;
    this.watch(p);
    const line = await p.waitLine(
      (l) => logEvent(l)?.event === 'worker:start',
      START_TIMEOUT_MS,
      'worker:start',
    );
    const life: WorkerLife = {
      index,
      pid: p.pid,
      workerId: String(logEvent(line)!.worker),
      startedAtMs: Date.now(),
      killedAtMs: null,
    };
    this.lives.push(life);
    this.current.set(index, life);
  }

  /** SIGKILLs worker `index` and waits until it is gone; returns its life. */
  async killWorker(index: number): Promise<WorkerLife> {
    const p = this.workers[index]!;
    const life = this.current.get(index)!;
    life.killedAtMs = Date.now();
    this.meant.add(p);
    p.child.kill('SIGKILL');
    await p.exited;
    return life;
  }

  async killServer(): Promise<number> {
    const p = this.server!;
    const at = Date.now();
    this.meant.add(p);
    p.child.kill('SIGKILL');
    await p.exited;
    return at;
  }

  /** Stops every process gracefully (SIGTERM), as an operator would at the end. */
  async stopAll(stop: (p: Proc) => Promise<void>): Promise<void> {
    const all = [this.server, ...this.workers].filter((p): p is Proc => p !== undefined);
    for (const p of all) this.meant.add(p);
    await Promise.all(all.map(stop));
  }

  private watch(p: Proc): void {
    void p.exited.then(({ code, signal }) => {
      if (!this.meant.has(p))
        this.crashes.push(
          `${p.name} (pid ${p.pid}) exited with ${signal ?? code}: ${p.tail().slice(-5).join(' | ')}`,
        );
    });
  }
}
