/**
 * The two PostgreSQL job queues that `npm run bench:peers` measures beside Kiln:
 * graphile-worker and pg-boss. Each gets the configuration its own documentation gives
 * for throughput (recorded in bench/results/peers.json through PEER_CONFIG), in a schema
 * of its own that the caller drops afterwards (bench/peers.ts).
 *
 * The bench process uses the producer side (install, bulk add, single add, check); the
 * worker child process (support/peer-worker.ts) uses the worker side.
 */
import { readFileSync } from 'node:fs';
import { Logger, makeWorkerUtils, type Runner, run, type WorkerUtils } from 'graphile-worker';
import pg from 'pg';
import { PgBoss } from 'pg-boss';

export type PeerName = 'graphile-worker' | 'pg-boss';

/**
 * Options to try instead of the defaults below, as JSON in an environment variable
 * (BENCH_PEER_GRAPHILE_WORKER for graphile-worker's worker preset, BENCH_PEER_PG_BOSS_WORK
 * for pg-boss's work() options); worker processes inherit it and the results record it.
 */
function overrides(variable: string): Record<string, unknown> {
  const text = process.env[variable];
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** Concurrency of every W2 and W3 worker, as in Kiln's workloads. */
export const PEER_CONCURRENCY = 50;

/**
 * graphile-worker: the configuration of its performance page ("Quick stats", batching):
 * a local queue of 500 jobs fetched in one query and completions and failures batched
 * with a delay of 0 ms; `concurrentJobs` is the workload's 50, and the pool follows its
 * advice of `concurrentJobs + 2`. Success logging is off (NO_LOG_SUCCESS, as in its own
 * perf test) and the logger is silent, as Kiln's worker logs nothing.
 */
export const GRAPHILE_WORKER_OPTIONS = {
  concurrentJobs: PEER_CONCURRENCY,
  maxPoolSize: PEER_CONCURRENCY + 2,
  localQueue: { size: 500 },
  completeJobBatchDelay: 0,
  failJobBatchDelay: 0,
  pollInterval: 2000,
  preparedStatements: true,
  ...overrides('BENCH_PEER_GRAPHILE_WORKER'),
};

/**
 * pg-boss: `insert()` for bulk adds (its raw path; no ids returned), one queue created
 * with `notify: true` and `useListenNotify: true` on every instance so that an idle
 * worker is woken by NOTIFY rather than by its poll (at least 0.5 s), and `work()` with
 * `batchSize: 50` (50 jobs at a time handed to one handler call) and
 * `burstWhenBatchFull: true` (fetch again at once while fetches come back full; without
 * it a worker waits its polling interval between batches).
 */
export const PG_BOSS_QUEUE_OPTIONS = { notify: true } as const;
export const PG_BOSS_WORK_OPTIONS = {
  batchSize: PEER_CONCURRENCY,
  localConcurrency: 1,
  burstWhenBatchFull: true,
  ...overrides('BENCH_PEER_PG_BOSS_WORK'),
};
/** The producer in the bench process runs no maintenance or cron of its own. */
const PG_BOSS_PRODUCER = { useListenNotify: true, supervise: false, schedule: false } as const;
const PG_BOSS_WORKER = { useListenNotify: true } as const;

export const PEER_CONFIG: Record<PeerName, Record<string, unknown>> = {
  'graphile-worker': {
    bulkAdd: 'workerUtils.addJobs(specs) (one call, one statement)',
    singleAdd: 'workerUtils.addJob(identifier, payload)',
    worker: { ...GRAPHILE_WORKER_OPTIONS, env: { NO_LOG_SUCCESS: '1' }, logger: 'silent' },
    history: 'none: a completed job is deleted',
  },
  'pg-boss': {
    bulkAdd: 'boss.insert(name, jobs) (one call, one statement; returnId not set)',
    singleAdd: 'boss.send(name, data)',
    queue: PG_BOSS_QUEUE_OPTIONS,
    producer: PG_BOSS_PRODUCER,
    worker: { constructor: PG_BOSS_WORKER, work: PG_BOSS_WORK_OPTIONS },
    history: 'kept: completed jobs stay in the job table (deleteAfterSeconds default, 7 days)',
  },
};

/** The installed version of a peer (node_modules/<name>/package.json). */
export function peerVersion(name: PeerName): string {
  // The package's main entry, then up to its package.json (neither peer exports that file).
  let url = new URL('.', import.meta.resolve(name));
  for (let i = 0; i < 5; i++, url = new URL('..', url)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', url), 'utf8')) as {
        name?: string;
        version: string;
      };
      if (pkg.name === name) return pkg.version;
    } catch {}
  }
  throw new Error(`no package.json found for ${name}`);
}

const silentLogger = new Logger(() => () => {});

export const NOOP = 'bench_noop';
export const LATENCY = 'bench_latency';

/** The producer side of a peer, open on one schema. */
export interface PeerProducer {
  /** One call that adds `n` no-op jobs (params `{ i }`); resolves when they are committed. */
  bulkAdd(items: { i: number }[]): Promise<number>;
  /** Adds one latency job carrying `t`. */
  add(t: number): Promise<void>;
  /** Jobs of the no-op type that are not completed (graphile-worker: rows left at all). */
  unfinished(): Promise<number>;
  /** Completed no-op jobs kept as history (graphile-worker keeps none: always 0). */
  completedKept(): Promise<number>;
  close(): Promise<void>;
}

/** Installs the peer's schema (outside any timing) and opens a producer on it. */
export async function openProducer(
  peer: PeerName,
  url: string,
  schema: string,
): Promise<PeerProducer> {
  if (peer === 'graphile-worker') {
    const utils: WorkerUtils = await makeWorkerUtils({
      connectionString: url,
      schema,
      logger: silentLogger,
    });
    await utils.migrate();
    const count = async (sql: string): Promise<number> => {
      const r = await utils.withPgClient((c) => c.query<{ n: number }>(sql));
      return r.rows[0]!.n;
    };
    return {
      async bulkAdd(items) {
        const jobs = await utils.addJobs(items.map((p) => ({ identifier: NOOP, payload: p })));
        return jobs.length;
      },
      async add(t) {
        await utils.addJob(LATENCY, { t });
      },
      unfinished: () => count(`SELECT count(*)::int AS n FROM "${schema}"._private_jobs`),
      completedKept: async () => 0,
      close: async () => {
        await utils.release();
      },
    };
  }
  const boss = new PgBoss({ connectionString: url, schema, ...PG_BOSS_PRODUCER });
  boss.on('error', () => {});
  await boss.start();
  await boss.createQueue(NOOP, PG_BOSS_QUEUE_OPTIONS);
  await boss.createQueue(LATENCY, PG_BOSS_QUEUE_OPTIONS);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const count = async (state: string): Promise<number> => {
    const r = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${schema}".job WHERE name = $1 AND state ${state}`,
      [NOOP],
    );
    return r.rows[0]!.n;
  };
  return {
    async bulkAdd(items) {
      await boss.insert(
        NOOP,
        items.map((p) => ({ data: p })),
      );
      return items.length;
    },
    async add(t) {
      await boss.send(LATENCY, { t });
    },
    unfinished: () => count(`<> 'completed'`),
    completedKept: () => count(`= 'completed'`),
    async close() {
      await client.end();
      await boss.stop({ graceful: false, close: true });
    },
  };
}

/** What the worker child needs to know about each job. */
export interface PeerHandlers {
  /** A no-op job started (W2). */
  noop: (count: number) => void;
  /** A latency job started, carrying its enqueue time (W3). */
  latency: (t: number) => void;
}

/** A worker of the peer; connected (not working) until `start()`. */
export interface PeerWorker {
  /** Starts working jobs of one type: the no-op ones (W2) or the latency ones (W3). */
  start(kind: 'drain' | 'latency'): Promise<void>;
  /** Resolves once no no-op job is left uncompleted, as the database sees it (polled). */
  drained(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Opens a worker (its connections made, nothing claimed) for `peer` on `schema`. The
 * poll behind `drained()` uses a connection of its own and starts only when the caller
 * has seen every job start, so it does not compete with the drain.
 */
export async function openWorker(
  peer: PeerName,
  url: string,
  schema: string,
  on: PeerHandlers,
): Promise<PeerWorker> {
  const poll = new pg.Client({ connectionString: url });
  await poll.connect();
  const drainedWhen = (sql: string, params: unknown[]) => async (timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await poll.query<{ n: number }>(sql, params);
      if (r.rows[0]!.n === 0) return;
      if (Date.now() > deadline)
        throw new Error(`${peer}: ${r.rows[0]!.n} jobs left at the deadline`);
      await sleep(0);
    }
  };
  if (peer === 'graphile-worker') {
    const pool = new pg.Pool({ connectionString: url, max: GRAPHILE_WORKER_OPTIONS.maxPoolSize });
    // Both handlers graphile-worker asks a pool of the caller's to have (it warns otherwise).
    pool.on('error', () => {});
    pool.on('connect', (client) => client.on('error', () => {}));
    await pool.query('SELECT 1');
    let runner: Runner | undefined;
    let started = 0;
    return {
      async start() {
        runner = await run({
          pgPool: pool,
          noHandleSignals: true,
          logger: silentLogger,
          taskList: {
            [NOOP]: async () => {
              on.noop(++started);
            },
            [LATENCY]: async (payload) => {
              on.latency((payload as { t: number }).t);
            },
          },
          preset: { worker: { schema, ...GRAPHILE_WORKER_OPTIONS } },
        });
      },
      drained: drainedWhen(`SELECT count(*)::int AS n FROM "${schema}"._private_jobs`, []),
      async stop() {
        await runner?.stop();
        await pool.end();
        await poll.end();
      },
    };
  }
  const boss = new PgBoss({ connectionString: url, schema, ...PG_BOSS_WORKER });
  boss.on('error', () => {});
  await boss.start();
  let started = 0;
  return {
    async start(kind) {
      if (kind === 'drain') {
        await boss.work<{ i: number }>(NOOP, PG_BOSS_WORK_OPTIONS, async (jobs) => {
          started += jobs.length;
          on.noop(started);
        });
      } else {
        await boss.work<{ t: number }>(LATENCY, PG_BOSS_WORK_OPTIONS, async (jobs) => {
          for (const job of jobs) on.latency(job.data.t);
        });
      }
    },
    drained: drainedWhen(
      `SELECT count(*)::int AS n FROM "${schema}".job WHERE name = $1 AND state <> 'completed'`,
      [NOOP],
    ),
    async stop() {
      await boss.stop({ graceful: false, close: true });
      await poll.end();
    },
  };
}
