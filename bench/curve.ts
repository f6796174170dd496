/**
 * The claim-latency curve: how long a worker's turn takes (complete 50 jobs, claim 50)
 * as the jobs table fills with finished jobs, up to 1,000,000 rows. Job history is kept
 * (finished jobs stay until their retention), so a claim must not slow down as it grows:
 * the claim walks an index of pending jobs only.
 *
 *   npm run bench:curve [-- --store sqlite|postgres|all] [--max 1000000]
 *
 * In one process, through the store contract (`turn()`); finished rows are written in
 * bulk with SQL, since enqueueing and draining a million jobs would take most of the run.
 * Writes bench/results/claim-curve.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Kiln } from '../src/index.ts';
import type { ClaimedJob, Store } from '../src/store/store.ts';
import { noop } from './support/jobs.ts';
import { percentile, round } from './support/stats.ts';
import { BENCH_PG_URL, type BenchStore, withBenchStore } from './support/stores.ts';

const TURNS = 40;
const BATCH = 50;

function args(): { stores: BenchStore[]; max: number } {
  const argv = process.argv.slice(2);
  let stores: BenchStore[] = ['sqlite', 'postgres'];
  let max = 1_000_000;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--store') {
      const v = argv[++i];
      stores = v === 'all' ? stores : [v as BenchStore];
    } else if (argv[i] === '--max') max = Number(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  return { stores, max };
}

/** Appends `n` completed jobs after `from` with SQL, in chunks of 100,000 rows. */
async function addFinished(kind: BenchStore, url: string, from: number, n: number): Promise<void> {
  const chunk = 100_000;
  const columns = `INSERT INTO jobs (id, type, state, run_at_ms, attempt, max_attempts, attempt_budget,
    retention_ms, progress, created_at_ms, started_at_ms, finished_at_ms, expires_at_ms, updated_seq)`;
  const values = `'done-' || i, 'bench.noop', 'completed', 0, 1, 1, 1, 86400000, 1, 0, 0, 0, 9000000000000000, 0`;
  if (kind === 'sqlite') {
    const db = new DatabaseSync(url.slice('sqlite:'.length), { timeout: 10_000 });
    try {
      for (let at = from; at < from + n; at += chunk) {
        const count = Math.min(chunk, from + n - at);
        db.exec('BEGIN IMMEDIATE');
        db.prepare(
          `WITH RECURSIVE g(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM g WHERE i < ?)
           ${columns} SELECT ${values} FROM g`,
        ).run(at + 1, at + count);
        db.exec('COMMIT');
      }
    } finally {
      db.close();
    }
    return;
  }
  const schema = new URL(url).searchParams.get('schema')!;
  const client = new pg.Client({
    connectionString: BENCH_PG_URL,
    options: `-c search_path=${schema}`,
  });
  await client.connect();
  try {
    for (let at = from; at < from + n; at += chunk) {
      const count = Math.min(chunk, from + n - at);
      await client.query(
        `${columns} SELECT ${values} FROM generate_series($1::bigint, $2::bigint) AS i`,
        [at + 1, at + count],
      );
    }
    await client.query('ANALYZE jobs');
  } finally {
    await client.end();
  }
}

/** Times TURNS turns that complete the last turn's jobs and claim BATCH more. */
async function timeTurns(store: Store): Promise<number[]> {
  const times: number[] = [];
  let held: ClaimedJob[] = [];
  const owner = 'curve';
  for (let t = 0; t < TURNS + 5; t++) {
    const t0 = performance.now();
    const r = await store.turn({
      settles: held.map((j) => ({
        kind: 'complete' as const,
        fence: { id: j.id, attempt: j.attempt, owner, row: j.row },
        resultJson: null,
      })),
      reaps: [],
      flushes: [],
      claim: { owner, limit: BATCH, leaseMs: 60_000, types: [{ type: noop.type, cap: null }] },
    });
    if (t >= 5) times.push(performance.now() - t0); // the first turns warm up
    held = r.claimed;
  }
  return times;
}

interface Point {
  finishedRows: number;
  medianMs: number;
  p99Ms: number;
  jobsPerS: number;
}

async function curve(kind: BenchStore, max: number): Promise<Point[]> {
  const sizes = [0, 10_000, 100_000, max].filter((n, i, all) => n <= max && all.indexOf(n) === i);
  return withBenchStore(kind, 'curve', async (url) => {
    const kiln = await Kiln.open({ store: url, jobs: [noop] });
    const points: Point[] = [];
    try {
      let have = 0;
      for (const size of sizes) {
        await addFinished(kind, url, have, size - have);
        have = size;
        const batch = await kiln.batches.create({
          name: `size ${size}`,
          jobs: Array.from({ length: (TURNS + 6) * BATCH }, (_, i) => ({
            type: noop,
            params: { i },
          })),
        });
        const times = await timeTurns(kiln.store);
        const medianMs = percentile(times, 50);
        const point = {
          finishedRows: size,
          medianMs: round(medianMs, 3),
          p99Ms: round(percentile(times, 99), 3),
          jobsPerS: Math.round(BATCH / (medianMs / 1000)),
        };
        points.push(point);
        console.log(`  ${kind} ${JSON.stringify(point)}`);
        // Leave no running or pending job behind for the next size.
        await kiln.batches.cancel(batch.id);
      }
    } finally {
      await kiln.close();
    }
    return points;
  });
}

const { stores, max } = args();
const results: Record<string, Point[]> = {};
for (const kind of stores) {
  console.log(`${kind}: turns of ${BATCH} completions and ${BATCH} claims, ${TURNS} per size`);
  results[kind] = await curve(kind, max);
}
const out = resolve(dirname(fileURLToPath(import.meta.url)), 'results/claim-curve.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify({ startedAt: new Date().toISOString(), turns: TURNS, batch: BATCH, results }, null, 2)}\n`,
);
console.log(`written: ${out}`);
