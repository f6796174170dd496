/**
 * One chaos run from start to verdict: a store of its own, the cluster, observers, the
 * batch, the enqueuer, the driver's schedule, the settle, the evidence, the checks.
 * Every wait is bounded, and whatever happens the children are killed and the store
 * removed (unless --keep).
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpConnection } from '../../src/cli/client/http.ts';
import { type Job, Kiln } from '../../src/index.ts';
import { DEFAULT_LEASE_MS } from '../../src/worker/worker.ts';
import { newTestStore } from '../../test/support/stores.ts';
import { commitOf } from '../shared/commit.ts';
import { killAll, type Proc, spawnNode, stop } from '../shared/processes.ts';
import { CHAOS_TYPE } from './chaos-job.ts';
import {
  type AttemptRecord,
  type Check,
  evaluate,
  type ObserverReport,
  type Recovery,
} from './check.ts';
import { Cluster } from './cluster.ts';
import { Driver, type KillRecord } from './driver.ts';
import type { ChaosOptions } from './options.ts';
import { makePlan } from './plan.ts';

const OBSERVER = fileURLToPath(new URL('./observer.ts', import.meta.url));
const ENQUEUER = fileURLToPath(new URL('./enqueuer.ts', import.meta.url));
/** `kiln worker` runs with the library's defaults: lease 8 s, idle poll 1 s. */
const IDLE_POLL_MS = 1_000;

export interface Summary {
  ok: boolean;
  store: string;
  seed: number;
  seconds: number;
  commit: string;
  planFingerprint: string;
  jobs: {
    batch: number;
    enqueued: number;
    enqueueGaveUp: number;
    total: number;
    completed: number;
    failed: number;
  };
  kills: { workers: number; server: number; backendsTerminated: number; records: KillRecord[] };
  figures: {
    lostEnqueues: number;
    doubleCompletions: number;
    backwardProgress: number;
    changesAfterTerminal: number;
    tornReads: number;
    sightings: number;
    leaseMs: number;
    recoveryBoundMs: number;
  };
  recovery: Recovery;
  observers: { events: number; reconnects: number; reads: number; readErrors: number }[];
  timings: { setupMs: number; chaosMs: number; settleMs: number; totalMs: number };
  checks: Check[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, timeoutMs: number, test: () => boolean | Promise<boolean>) {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(250);
  }
}

/** The last status line an observer printed. */
function lastStatus(p: Proc): { jobs: number; terminal: number } | undefined {
  for (let i = p.stdout.length - 1; i >= 0; i--) {
    const line = p.stdout[i]!;
    if (line.includes('"status"')) return JSON.parse(line);
  }
  return undefined;
}

/** What an interrupted run (Ctrl-C) must still remove: run.ts calls these. */
export const onInterrupt = new Set<() => Promise<void>>();

export async function runChaos(o: ChaosOptions, say: (line: string) => void): Promise<Summary> {
  const t0 = Date.now();
  const plan = makePlan({ ...o, backends: o.store === 'postgres' });
  const store = newTestStore(o.store);
  const logDir = join(store.dir, 'attempts');
  mkdirSync(logDir);
  const cluster = new Cluster({
    storeUrl: store.url,
    workers: o.workers,
    concurrency: o.concurrency,
    logDir,
    appPrefix: `kiln_chaos_${process.pid}`,
  });
  let kiln: Kiln | undefined;
  const removeStore = () => (o.keep ? Promise.resolve() : store.cleanup());
  onInterrupt.add(removeStore);
  try {
    say(
      `store ${o.store} (${store.path}), plan ${plan.fingerprint}: ${plan.kills.length} kills, ${plan.backendKills.length} backend terminations`,
    );
    await cluster.startServer();
    await Promise.all(Array.from({ length: o.workers }, (_, i) => cluster.startWorker(i)));
    const observers = Array.from({ length: o.observers }, (_, i) =>
      spawnNode(`observer ${i + 1}`, `kiln_chaos_obs_${process.pid}`, [
        OBSERVER,
        cluster.url,
        join(store.dir, `observer-${i + 1}.json`),
        String(o.seed * 31 + i),
      ]),
    );
    await Promise.all(
      observers.map((p) => p.waitLine((l) => l.includes('"ready"'), 60_000, 'ready')),
    );

    // The batch, through the real API, in one request.
    const http = new HttpConnection({ url: cluster.url });
    const batch = await http.json<{ id: string }>('POST', '/api/batches', {
      body: {
        name: `chaos seed ${o.seed}`,
        jobs: plan.batch.map((params) => ({ type: CHAOS_TYPE, params })),
      },
      signal: AbortSignal.timeout(120_000),
    });
    const chaosStart = Date.now();
    const setupMs = chaosStart - t0;
    say(`batch ${batch.id} of ${o.jobs} jobs created; chaos for ${o.seconds} s`);

    const enqueuer = spawnNode('enqueuer', `kiln_chaos_enq_${process.pid}`, [
      ENQUEUER,
      cluster.url,
      String(o.seed),
      String(o.meanMs),
      String(o.enqueueEveryMs),
    ]);
    await enqueuer.waitLine((l) => l.includes('"ready"'), 60_000, 'ready');

    const driver = new Driver(cluster, o.store === 'postgres' ? store.query.bind(store) : null);
    const period = new AbortController();
    const timer = setTimeout(() => period.abort(), o.seconds * 1000);
    await driver.run(chaosStart, plan.kills, plan.backendKills, period.signal);
    while (!period.signal.aborted) await sleep(100);
    clearTimeout(timer);
    // The enqueuer finishes the enqueue in hand (its retries last at most 30 s).
    await stop(enqueuer, 40_000);
    const chaosMs = Date.now() - chaosStart;
    const workerKills = driver.kills.filter((k) => k.target === 'worker').length;
    say(
      `chaos over: ${workerKills} worker kills, ${driver.kills.length - workerKills} server kills, ${driver.backendKills.filter((b) => b.terminated).length} backends terminated; settling`,
    );

    // Settle: no more kills; every job ends, then every observer has seen it end.
    const settleStart = Date.now();
    const openJobs = async () =>
      (
        await store.query<{ n: number }>(
          `SELECT count(*) AS n FROM jobs WHERE state IN ('pending', 'running')`,
        )
      )[0]!.n;
    await until(
      'every job to end',
      o.settleSeconds * 1000,
      async () => (await openJobs()) === 0,
    ).catch((error) => say(String(error)));
    const total = (await store.query<{ n: number }>('SELECT count(*) AS n FROM jobs'))[0]!.n;
    await until('the observers to see every job end', 60_000, () =>
      observers.every((p) => {
        const s = lastStatus(p);
        return s !== undefined && s.jobs >= total && s.terminal >= total;
      }),
    ).catch((error) => say(String(error)));
    const settleMs = Date.now() - settleStart;
    await Promise.all(observers.map((p) => stop(p, 10_000)));

    // The evidence.
    kiln = await Kiln.open({ store: store.url });
    const jobs: Job[] = [];
    for (let cursor: string | null = null; ; ) {
      const page = await kiln.jobs.list({ limit: 1_000, cursor });
      jobs.push(...page.items);
      cursor = page.nextCursor;
      if (cursor === null) break;
    }
    const attempts = await store.query<AttemptRecord>(
      'SELECT job_id, attempt, state, started_at_ms, finished_at_ms, lease_owner FROM job_attempts',
    );
    const attemptLines = readdirSync(logDir).flatMap((f) =>
      readFileSync(join(logDir, f), 'utf8').split('\n').filter(Boolean),
    );
    const reports = observers.map(
      (_, i) =>
        JSON.parse(
          readFileSync(join(store.dir, `observer-${i + 1}.json`), 'utf8'),
        ) as ObserverReport,
    );
    const parsed = enqueuer.stdout.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    const acks = parsed.filter((l) => 'ack' in l);
    const recoveryBoundMs = DEFAULT_LEASE_MS + IDLE_POLL_MS;
    const { checks, recovery } = evaluate({
      seed: o.seed,
      meanMs: o.meanMs,
      jobs,
      attempts,
      attemptLines,
      batchId: batch.id,
      batch: plan.batch,
      acks,
      gaveUp: parsed.filter((l) => 'gaveUp' in l).length,
      observers: reports,
      kills: driver.kills,
      recoveryBoundMs,
      crashes: cluster.crashes,
      driverErrors: driver.errors,
    });
    const count = (name: string) => checks.find((c) => c.name === name)!.count;
    const sum = (f: (r: ObserverReport) => number) => reports.reduce((s, r) => s + f(r), 0);
    const summary: Summary = {
      ok: checks.every((c) => c.ok),
      store: o.store,
      seed: o.seed,
      seconds: o.seconds,
      commit: commitOf(['scripts/chaos', 'src']),
      planFingerprint: plan.fingerprint,
      jobs: {
        batch: o.jobs,
        enqueued: acks.length,
        enqueueGaveUp: parsed.filter((l) => 'gaveUp' in l).length,
        total: jobs.length,
        completed: jobs.filter((j) => j.state === 'completed').length,
        failed: jobs.filter((j) => j.state === 'failed').length,
      },
      kills: {
        workers: workerKills,
        server: driver.kills.length - workerKills,
        backendsTerminated: driver.backendKills.filter((b) => b.terminated).length,
        records: driver.kills,
      },
      figures: {
        lostEnqueues: count('every acknowledged enqueue present'),
        doubleCompletions: count('none completed twice'),
        backwardProgress: sum((r) => r.backward),
        changesAfterTerminal: sum((r) => r.afterTerminal),
        tornReads: sum((r) => r.torn),
        sightings: sum((r) => r.jobEvents + r.reads),
        leaseMs: DEFAULT_LEASE_MS,
        recoveryBoundMs,
      },
      recovery,
      observers: reports.map((r) => ({
        events: r.events,
        reconnects: r.reconnects,
        reads: r.reads + r.listReads,
        readErrors: r.readErrors,
      })),
      timings: { setupMs, chaosMs, settleMs, totalMs: Date.now() - t0 },
      checks,
    };
    return summary;
  } finally {
    await kiln?.close().catch(() => {});
    await cluster.stopAll((p) => stop(p, 10_000)).catch(() => {});
    await killAll();
    onInterrupt.delete(removeStore);
    if (o.keep) say(`kept the store: ${store.url} (${store.dir})`);
    else await store.cleanup().catch(() => {});
  }
}
