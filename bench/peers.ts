/**
 * Kiln on PostgreSQL beside two existing PostgreSQL queues, graphile-worker and pg-boss,
 * on the same workloads in the same run: `npm run bench:peers`.
 *
 *   W1  one bulk add of 20,000 no-op jobs from the bench process (jobs/s);
 *   W2  a drain of 20,000 pre-added no-op jobs by one worker process at concurrency 50
 *       (jobs/s from the worker's start to the last completion);
 *   W3  add-to-handler-start latency with an idle worker, one job every 5 ms (p50, p99).
 *
 * Kiln runs through the workload functions of bench/workloads.ts, unchanged; the peers
 * run through support/peer-queues.ts (their configuration is recorded in the results) and
 * support/peer-worker.ts (their worker process). For each workload, rounds alternate the
 * three queues, the order rotating each round, so the ratios come from one machine state.
 * Every run is in a schema of its own in the database at KILN_BENCH_PG_URL, dropped
 * afterwards, also on failure or on SIGINT/SIGTERM.
 *
 *   npm run bench:peers [-- --rounds 3] [--jobs 20000] [--seconds 10] [--only W1,W2,W3]
 *                       [--out file.json]
 *
 * Without --out, a run with the defaults writes bench/results/peers.json and any other
 * writes bench/results/peers-<time>.json (ignored by git).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Child, killAllChildren } from './support/child.ts';
import { cpuSnapshot, otherLoad } from './support/cpu.ts';
import { git, machineInfo } from './support/machine.ts';
import { pacedAdds } from './support/pacing.ts';
import {
  openProducer,
  PEER_CONCURRENCY,
  PEER_CONFIG,
  type PeerName,
  peerVersion,
} from './support/peer-queues.ts';
import type { PeerWorkerConfig } from './support/peer-worker.ts';
import { median, percentile, round } from './support/stats.ts';
import { BENCH_PG_URL, postgresInfo } from './support/stores.ts';
import { type Settings, w1, w2, w3 } from './workloads.ts';

// graphile-worker reads this when its modules load: its workers (child processes, which
// inherit the environment) then skip formatting a success line per job.
process.env.NO_LOG_SUCCESS ??= '1';

type Queue = 'kiln' | PeerName;
const QUEUES: Queue[] = ['kiln', 'graphile-worker', 'pg-boss'];
const WORKLOADS = ['W1', 'W2', 'W3'] as const;
type Workload = (typeof WORKLOADS)[number];

/** Bounds: no wait in this file is longer, and the whole run stops by itself. */
const RUN_LIMIT_MS = 30 * 60_000;

interface Args {
  rounds: number;
  jobs: number;
  seconds: number;
  only: Set<Workload>;
  out: string | undefined;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { rounds: 3, jobs: 20_000, seconds: 10, only: new Set(), out: undefined };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${k} needs a positive number`);
      return v;
    };
    if (k === '--rounds') a.rounds = Math.min(10, Math.round(num()));
    else if (k === '--jobs') a.jobs = Math.min(200_000, Math.round(num()));
    else if (k === '--seconds') a.seconds = Math.min(60, num());
    else if (k === '--out') a.out = argv[++i];
    else if (k === '--only') {
      for (const w of (argv[++i] ?? '').split(',').filter(Boolean)) {
        const name = w.trim().toUpperCase() as Workload;
        if (!WORKLOADS.includes(name)) throw new Error(`unknown workload ${w}; known: W1, W2, W3`);
        a.only.add(name);
      }
    } else if (k === '--help' || k === '-h') {
      console.log(
        'usage: npm run bench:peers [-- --rounds 3] [--jobs 20000] [--seconds 10] [--only W1,W2,W3] [--out file.json]',
      );
      process.exit(0);
    } else throw new Error(`unknown argument \`${k}\` (try --help)`);
  }
  if (a.only.size === 0) for (const w of WORKLOADS) a.only.add(w);
  return a;
}

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---- schemas: every peer run in its own, dropped afterwards --------------------

let schemaCount = 0;

async function dropSchemas(where: string, params: unknown[]): Promise<void> {
  const client = new pg.Client({ connectionString: BENCH_PG_URL });
  await client.connect();
  try {
    const r = await client.query<{ nspname: string }>(
      `SELECT nspname FROM pg_namespace WHERE ${where}`,
      params,
    );
    for (const { nspname } of r.rows) await client.query(`DROP SCHEMA "${nspname}" CASCADE`);
  } finally {
    await client.end();
  }
}

async function withPeerSchema<T>(
  peer: PeerName,
  label: string,
  fn: (schema: string) => Promise<T>,
): Promise<T> {
  const tag = peer === 'graphile-worker' ? 'gw' : 'pb';
  const schema = `kiln_peer_${tag}_${label}_${process.pid}_${++schemaCount}`;
  try {
    return await fn(schema);
  } finally {
    killAllChildren();
    await dropSchemas('nspname = $1', [schema]);
  }
}

/** Every schema this process made (Kiln's through withBenchStore, the peers' here). */
async function dropOwnSchemas(): Promise<void> {
  await dropSchemas(
    `nspname LIKE 'kiln\\_bench\\_%\\_' || $1 || '\\_%' OR nspname LIKE 'kiln\\_peer\\_%\\_' || $1 || '\\_%'`,
    [String(process.pid)],
  );
}

// ---- one run of each workload for a peer ---------------------------------------

const items = (n: number): { i: number }[] => Array.from({ length: n }, (_, i) => ({ i }));

/** W1: one timed bulk add on a fresh schema (after one untimed, as Kiln's w1 does). */
async function peerBulkOnce(peer: PeerName, n: number): Promise<number> {
  return withPeerSchema(peer, 'w1', async (schema) => {
    const producer = await openProducer(peer, BENCH_PG_URL, schema);
    try {
      const list = items(n);
      const t0 = performance.now();
      const added = await producer.bulkAdd(list);
      const ms = performance.now() - t0;
      if (added !== n) throw new Error(`${peer} W1: ${added} of ${n} jobs added`);
      const left = await producer.unfinished();
      if (left !== n) throw new Error(`${peer} W1: ${left} jobs in the table after adding ${n}`);
      return n / (ms / 1000);
    } finally {
      await producer.close();
    }
  });
}

interface DrainResult {
  jobsPerS: number;
  startToFirstStartMs: number;
  firstStartToLastMs: number;
  completedKept: number;
  peakRssMb: number;
}

/** W2: add `n` jobs, close the producer, drain them with one worker process. */
async function peerDrainOnce(peer: PeerName, n: number): Promise<DrainResult> {
  return withPeerSchema(peer, 'w2', async (schema) => {
    const producer = await openProducer(peer, BENCH_PG_URL, schema);
    await producer.bulkAdd(items(n));
    await producer.close();
    const config: PeerWorkerConfig = { peer, url: BENCH_PG_URL, schema, mode: 'drain', expect: n };
    const child = new Child(`${peer} W2 worker`, 'peer-worker', config);
    try {
      await child.next('ready', 30_000);
      child.send({ type: 'start' });
      const done = await child.next('done', 120_000);
      const report = await child.stop();
      if (report.workerErrors > 0) throw new Error(`${peer} W2: ${report.firstError}`);
      const check = await openProducer(peer, BENCH_PG_URL, schema);
      const left = await check.unfinished();
      const kept = await check.completedKept();
      await check.close();
      if (left !== 0) throw new Error(`${peer} W2: ${left} jobs not completed after the drain`);
      return {
        jobsPerS: n / ((done.lastCompleteMs - done.startMs) / 1000),
        startToFirstStartMs: done.firstStartMs - done.startMs,
        firstStartToLastMs: done.lastCompleteMs - done.firstStartMs,
        completedKept: kept,
        peakRssMb: (report.vmHwmBytes ?? report.sampledPeakRssBytes) / (1024 * 1024),
      };
    } finally {
      child.kill();
    }
  });
}

interface LatencyResult {
  p50Ms: number;
  p99Ms: number;
  detail: Record<string, unknown>;
}

/** W3, paced exactly as Kiln's w3: one add every 5 ms, 1 s of warm-up, then `seconds`. */
async function peerLatencyOnce(peer: PeerName, seconds: number): Promise<LatencyResult> {
  return withPeerSchema(peer, 'w3', async (schema) => {
    const producer = await openProducer(peer, BENCH_PG_URL, schema);
    const config: PeerWorkerConfig = { peer, url: BENCH_PG_URL, schema, mode: 'latency' };
    const child = new Child(`${peer} W3 worker`, 'peer-worker', config);
    try {
      await child.next('ready', 30_000);
      child.send({ type: 'start' });
      await sleep(200);
      const { total, measureFrom, late, addMs, producedMs } = await pacedAdds(seconds, (t) =>
        producer.add(t),
      );
      // Every job's handler start reaches the worker's list; wait for the last (bounded).
      await sleep(500);
      const report = await child.stop();
      if (report.workerErrors > 0) throw new Error(`${peer} W3: ${report.firstError}`);
      if (report.latency.length !== total)
        throw new Error(`${peer} W3: ${report.latency.length} of ${total} jobs started`);
      const lat = report.latency.filter(([t]) => t >= measureFrom).map(([t, s]) => s - t);
      return {
        p50Ms: round(percentile(lat, 50), 3),
        p99Ms: round(percentile(lat, 99), 3),
        detail: {
          jobs: lat.length,
          warmupJobs: total - lat.length,
          ratePerS: round(total / (producedMs / 1000), 1),
          lateEnqueues: late,
          maxMs: round(Math.max(...lat), 3),
          p90Ms: round(percentile(lat, 90), 3),
          p999Ms: round(percentile(lat, 99.9), 3),
          enqueueCallP50Ms: round(percentile(addMs, 50), 3),
          enqueueCallP99Ms: round(percentile(addMs, 99), 3),
        },
      };
    } finally {
      child.kill();
      await producer.close();
    }
  });
}

// ---- Kiln, through bench/workloads.ts --------------------------------------------

function kilnSettings(a: Args): Settings {
  return {
    store: 'postgres',
    bulkJobs: a.jobs,
    runs: 1,
    latencySeconds: a.seconds,
    progressJobs: 100,
    progressReports: 100,
    progressWarmupRounds: 0,
    progressRounds: 0,
    recoveryRuns: 0,
    hungRuns: 0,
    log: () => {},
  };
}

// ---- the run -------------------------------------------------------------------

interface Sample {
  workload: Workload;
  queue: Queue;
  round: number;
  /** Order within the round (0 first). */
  position: number;
  values: Record<string, number>;
  otherCpuCores: number | null;
  detail?: Record<string, unknown>;
}

const METRICS: Record<Workload, { metric: string; unit: string; higherIsBetter: boolean }[]> = {
  W1: [{ metric: 'bulk_jobs_per_s', unit: 'jobs/s', higherIsBetter: true }],
  W2: [{ metric: 'jobs_per_s', unit: 'jobs/s', higherIsBetter: true }],
  W3: [
    { metric: 'p50_ms', unit: 'ms', higherIsBetter: false },
    { metric: 'p99_ms', unit: 'ms', higherIsBetter: false },
  ],
};

async function runOne(
  w: Workload,
  q: Queue,
  a: Args,
): Promise<{ values: Record<string, number>; detail?: Record<string, unknown> }> {
  const s = kilnSettings(a);
  if (q === 'kiln') {
    if (w === 'W1') {
      const [r] = await w1(s, 'power-loss');
      return { values: { bulk_jobs_per_s: r!.value }, detail: r!.detail };
    }
    if (w === 'W2') {
      const [r] = await w2(s, 'power-loss', false);
      return { values: { jobs_per_s: r!.value }, detail: r!.detail };
    }
    const rows = await w3(s, 'power-loss');
    const p50 = rows.find((r) => r.metric === 'p50_ms')!;
    const p99 = rows.find((r) => r.metric === 'p99_ms')!;
    return { values: { p50_ms: p50.value, p99_ms: p99.value }, detail: p99.detail };
  }
  if (w === 'W1') {
    const cold = await peerBulkOnce(q, a.jobs);
    const warm = await peerBulkOnce(q, a.jobs);
    return {
      values: { bulk_jobs_per_s: Math.round(warm) },
      detail: { jobs: a.jobs, coldRunJobsPerS: Math.round(cold) },
    };
  }
  if (w === 'W2') {
    const r = await peerDrainOnce(q, a.jobs);
    return {
      values: { jobs_per_s: Math.round(r.jobsPerS) },
      detail: {
        jobs: a.jobs,
        concurrency: PEER_CONCURRENCY,
        startToFirstStartMs: round(r.startToFirstStartMs, 1),
        firstStartToLastMs: round(r.firstStartToLastMs, 1),
        completedJobsKept: r.completedKept,
        workerPeakRssMb: round(r.peakRssMb, 1),
      },
    };
  }
  const r = await peerLatencyOnce(q, a.seconds);
  return { values: { p50_ms: r.p50Ms, p99_ms: r.p99Ms }, detail: r.detail };
}

function summarize(samples: Sample[]) {
  const out: {
    workload: Workload;
    metric: string;
    unit: string;
    queue: Queue;
    median: number;
    min: number;
    max: number;
    samples: number[];
  }[] = [];
  for (const w of WORKLOADS) {
    for (const { metric, unit } of METRICS[w]) {
      for (const q of QUEUES) {
        const vals = samples
          .filter((s) => s.workload === w && s.queue === q)
          .sort((x, y) => x.round - y.round)
          .map((s) => s.values[metric]!);
        if (vals.length === 0) continue;
        out.push({
          workload: w,
          metric,
          unit,
          queue: q,
          median: median(vals),
          min: Math.min(...vals),
          max: Math.max(...vals),
          samples: vals,
        });
      }
    }
  }
  return out;
}

function table(rows: ReturnType<typeof summarize>): string {
  const fmt = (v: number, unit: string): string =>
    v.toLocaleString('en-US', { maximumFractionDigits: unit === 'ms' ? 2 : 0 });
  const head = ['workload', 'metric', 'queue', 'median', 'range', 'samples', 'vs Kiln'];
  const body = rows.map((r) => {
    const kiln = rows.find(
      (k) => k.workload === r.workload && k.metric === r.metric && k.queue === 'kiln',
    );
    const ratio = kiln && r.queue !== 'kiln' ? `${(r.median / kiln.median).toFixed(2)}x` : '';
    return [
      r.workload,
      `${r.metric} (${r.unit})`,
      r.queue,
      fmt(r.median, r.unit),
      `${fmt(r.min, r.unit)}–${fmt(r.max, r.unit)}`,
      r.samples.map((v) => fmt(v, r.unit)).join(', '),
      ratio,
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (c: string[]): string =>
    `| ${c.map((x, i) => (i === 3 ? x.padStart(widths[i]!) : x.padEnd(widths[i]!))).join(' | ')} |`;
  return [
    line(head),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...body.map(line),
  ].join('\n');
}

async function main(): Promise<number> {
  const a = parseArgs(process.argv.slice(2));
  const startedAt = new Date().toISOString();
  const loadAtStart = Math.round(os.loadavg()[0]! * 100) / 100;
  const t0 = performance.now();
  const samples: Sample[] = [];
  const errors: { workload: Workload; queue: Queue; round: number; error: string }[] = [];
  for (const w of WORKLOADS) {
    if (!a.only.has(w)) continue;
    for (let r = 0; r < a.rounds; r++) {
      // Rotate the order each round: Kiln, graphile-worker, pg-boss; then graphile-worker first; ...
      const order = QUEUES.map((_, i) => QUEUES[(i + r) % QUEUES.length]!);
      for (const [position, q] of order.entries()) {
        const label = `${w} round ${r + 1} ${q}`;
        const before = cpuSnapshot();
        try {
          const { values, detail } = await runOne(w, q, a);
          const load = otherLoad(before, cpuSnapshot());
          samples.push({
            workload: w,
            queue: q,
            round: r + 1,
            position,
            values,
            otherCpuCores: load.otherCores,
            ...(detail ? { detail } : {}),
          });
          console.log(
            `${label}: ${Object.entries(values)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')} (other processes ${load.otherCores ?? '?'} cores)`,
          );
        } catch (error) {
          const message = String((error as Error)?.stack ?? error);
          errors.push({ workload: w, queue: q, round: r + 1, error: message });
          console.log(`${label} FAILED: ${message}`);
          killAllChildren();
        }
      }
    }
  }
  const summary = summarize(samples);
  const full = a.rounds === 3 && a.jobs === 20_000 && a.seconds === 10 && a.only.size === 3;
  const out = a.out
    ? resolve(a.out)
    : resolve(
        root,
        'bench/results',
        full ? 'peers.json' : `peers-${startedAt.replace(/[:.]/g, '-')}.json`,
      );
  const document = {
    startedAt,
    durationS: Math.round((performance.now() - t0) / 100) / 10,
    command: `npm run bench:peers${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    settings: { rounds: a.rounds, jobs: a.jobs, latencySeconds: a.seconds, only: [...a.only] },
    machine: { ...machineInfo(), loadAverage1mAtStart: loadAtStart },
    postgres: { url: BENCH_PG_URL, ...(await postgresInfo()) },
    queues: {
      kiln: {
        version: git(['rev-parse', '--short', 'HEAD']),
        durability: 'power-loss (synchronous_commit=on, the PostgreSQL store has no other)',
        config:
          'bench/workloads.ts w1, w2, w3 unchanged: enqueueMany (zod-validated params), kiln.work({ concurrency: 50 }), kiln.enqueue',
        history: 'kept: completed jobs stay in the jobs table',
      },
      'graphile-worker': {
        version: peerVersion('graphile-worker'),
        ...PEER_CONFIG['graphile-worker'],
      },
      'pg-boss': { version: peerVersion('pg-boss'), ...PEER_CONFIG['pg-boss'] },
    },
    summary,
    samples,
    errors,
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(document, null, 2)}\n`);
  console.log(
    `\nKiln and peers on PostgreSQL, ${startedAt}, ${document.durationS} s, ${a.rounds} rounds`,
  );
  console.log(table(summary));
  if (errors.length > 0)
    console.log(
      `\nruns that failed: ${errors.map((e) => `${e.workload} ${e.queue} r${e.round}`).join(', ')}`,
    );
  console.log(`\nwritten: ${relative(process.cwd(), out) || out}`);
  return errors.length > 0 ? 1 : 0;
}

let exiting = false;
async function finish(code: number): Promise<never> {
  if (!exiting) {
    exiting = true;
    killAllChildren();
    await Promise.race([dropOwnSchemas().catch(() => {}), sleep(10_000)]);
  }
  process.exit(code);
}

process.on('exit', killAllChildren);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void finish(130));
setTimeout(() => {
  console.error(`bench:peers: still running after ${RUN_LIMIT_MS / 60_000} min; stopping`);
  void finish(3);
}, RUN_LIMIT_MS).unref();

main().then(
  (code) => finish(code),
  (error: unknown) => {
    console.error(error);
    return finish(2);
  },
);
