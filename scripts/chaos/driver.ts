/**
 * The driver: plays the plan's schedule against the cluster. At each kill time it
 * SIGKILLs the planned target (a worker or the server), waits for it to be gone and
 * starts it again; a target still restarting from an earlier kill is killed once it is
 * back, so every kill hits a process that was doing its work. On PostgreSQL a second
 * timeline terminates one of the run's backends (pg_stat_activity, by the
 * application_name every child carries) with pg_terminate_backend.
 */
import type { Cluster } from './cluster.ts';
import type { BackendEvent, KillEvent } from './plan.ts';

export interface KillRecord {
  plannedMs: number;
  /** Epoch ms of the SIGKILL. */
  atMs: number;
  target: 'worker' | 'server';
  index: number | null;
  pid: number;
  workerId: string | null;
  /** How long the process took to be back (ready again). */
  restartMs: number | null;
}

export interface BackendRecord {
  plannedMs: number;
  atMs: number;
  pid: number | null;
  appName: string | null;
  terminated: boolean;
}

export type Query = <T>(sql: string, ...params: unknown[]) => Promise<T[]>;

const sleepUntil = (epochMs: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, Math.max(0, epochMs - Date.now()));
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

export class Driver {
  readonly kills: KillRecord[] = [];
  readonly backendKills: BackendRecord[] = [];
  readonly errors: string[] = [];
  /** Per target, the restart in progress (the next kill of it waits for it). */
  private readonly restarting = new Map<string, Promise<void>>();

  private readonly cluster: Cluster;
  private readonly query: Query | null;

  constructor(cluster: Cluster, query: Query | null) {
    this.cluster = cluster;
    this.query = query;
  }

  /** Runs both timelines from `startMs` until they are done or `signal` aborts. */
  async run(
    startMs: number,
    kills: KillEvent[],
    backends: BackendEvent[],
    signal: AbortSignal,
  ): Promise<void> {
    await Promise.all([
      this.killLoop(startMs, kills, signal),
      this.backendLoop(startMs, backends, signal),
    ]);
    // Everything killed is running again before the run settles.
    await Promise.all(this.restarting.values());
  }

  private async killLoop(startMs: number, events: KillEvent[], signal: AbortSignal) {
    for (const e of events) {
      await sleepUntil(startMs + e.atMs, signal);
      if (signal.aborted) return;
      const key = e.target.kind === 'server' ? 'server' : `worker ${e.target.index}`;
      await this.restarting.get(key);
      try {
        await this.kill(e, key);
      } catch (error) {
        this.errors.push(`${key}: ${String(error)}`);
      }
    }
  }

  private async kill(e: KillEvent, key: string): Promise<void> {
    const record: KillRecord = {
      plannedMs: e.atMs,
      atMs: 0,
      target: e.target.kind,
      index: e.target.kind === 'worker' ? e.target.index : null,
      pid: 0,
      workerId: null,
      restartMs: null,
    };
    let restart: () => Promise<void>;
    if (e.target.kind === 'server') {
      record.pid = this.cluster.server!.pid;
      record.atMs = await this.cluster.killServer();
      restart = () => this.cluster.startServer();
    } else {
      const index = e.target.index;
      const life = await this.cluster.killWorker(index);
      record.pid = life.pid;
      record.workerId = life.workerId;
      record.atMs = life.killedAtMs!;
      restart = () => this.cluster.startWorker(index);
    }
    this.kills.push(record);
    const started = Date.now();
    const back = restart()
      .then(() => {
        record.restartMs = Date.now() - started;
      })
      .finally(() => this.restarting.delete(key));
    // Awaited by the next kill of this target, and at the end of the run.
    this.restarting.set(
      key,
      back.catch((error) => {
        this.errors.push(`restart ${key}: ${String(error)}`);
      }),
    );
  }

  private async backendLoop(startMs: number, events: BackendEvent[], signal: AbortSignal) {
    if (!this.query) return;
    for (const e of events) {
      await sleepUntil(startMs + e.atMs, signal);
      if (signal.aborted) return;
      const record: BackendRecord = {
        plannedMs: e.atMs,
        atMs: Date.now(),
        pid: null,
        appName: null,
        terminated: false,
      };
      try {
        const backends = await this.query<{ pid: number; app: string }>(
          `SELECT pid, application_name AS app FROM pg_stat_activity
           WHERE starts_with(application_name, ?) AND backend_type = 'client backend' ORDER BY pid`,
          this.cluster.o.appPrefix,
        );
        const target = backends[Math.floor(e.pick * backends.length)];
        if (target) {
          record.pid = target.pid;
          record.appName = target.app;
          const [row] = await this.query<{ ok: boolean }>(
            'SELECT pg_terminate_backend(?) AS ok',
            target.pid,
          );
          record.terminated = row?.ok === true;
        }
      } catch (error) {
        this.errors.push(`backend: ${String(error)}`);
      }
      this.backendKills.push(record);
    }
  }
}
