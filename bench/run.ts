/**
 * Kiln's benchmark harness: `npm run bench` (all workloads on both stores), `npm run bench
 * -- --only W2` (a subset: W1..W8, comma-separated or repeated), `--store sqlite` or
 * `--store postgres` (one store), `--quick` (smaller counts, one run).
 *
 * A full run writes bench/results/latest.json; a subset or a quick run writes
 * bench/results/run-<time>.json (ignored by git) so it never replaces the full figures.
 * `--out <file>` picks the file. See docs/PERFORMANCE.md for the method.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, relative, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import type { Durability } from '../src/index.ts';
import { type HttpSettings, w7, w8 } from './http-workloads.ts';
import { killAllChildren } from './support/child.ts';
import { cpuSnapshot, otherLoad } from './support/cpu.ts';
import { machineInfo } from './support/machine.ts';
import { BENCH_PG_URL, type BenchStore, postgresInfo } from './support/stores.ts';
import { type Row, type Settings, w1, w2, w2Workers, w3, w4, w5 } from './workloads.ts';

const ALL = ['W1', 'W2', 'W3', 'W4', 'W5', 'W6', 'W7', 'W8'] as const;
type Workload = (typeof ALL)[number];

/**
 * Targets per store. SQLite's apply to its default durability ('process-crash'); the
 * 'power-loss' rows are for information. PostgreSQL has one durability: a commit is
 * flushed to its WAL on disk before it is acknowledged (synchronous_commit=on), so its
 * rows are 'power-loss' and judged.
 */
const TARGETS: Record<BenchStore, Record<string, { op: '>=' | '<=' | '=='; value: number }>> = {
  sqlite: {
    'W1 bulk_jobs_per_s': { op: '>=', value: 170_000 },
    'W2 jobs_per_s': { op: '>=', value: 92_000 },
    'W3 p99_ms': { op: '<=', value: 1.5 },
    'W4 updates_per_s': { op: '>=', value: 100_000 },
    'W4 observer_p99_ms': { op: '<=', value: 5 },
    'W4 backwards': { op: '==', value: 0 },
    'W5 recovery_s': { op: '<=', value: 10 },
    'W6 peak_rss_mb': { op: '<=', value: 100 },
    'W8 fanout_p99_ms': { op: '<=', value: 50 },
  },
  postgres: {
    'W1 bulk_jobs_per_s': { op: '>=', value: 85_000 },
    'W2 jobs_per_s': { op: '>=', value: 46_000 },
    'W3 p99_ms': { op: '<=', value: 2.5 },
    'W4 updates_per_s': { op: '>=', value: 100_000 },
    'W4 observer_p99_ms': { op: '<=', value: 10 },
    'W4 backwards': { op: '==', value: 0 },
    'W5 recovery_s': { op: '<=', value: 10 },
    'W6 peak_rss_mb': { op: '<=', value: 100 },
    'W8 fanout_p99_ms': { op: '<=', value: 50 },
  },
};

/** The durability each store's targets are judged at. */
const JUDGED: Record<BenchStore, Durability> = { sqlite: 'process-crash', postgres: 'power-loss' };

interface Args {
  only: Set<Workload>;
  stores: BenchStore[];
  quick: boolean;
  out: string | undefined;
}

function parseArgs(argv: string[]): Args {
  const only = new Set<Workload>();
  let quick = false;
  let out: string | undefined;
  let stores: BenchStore[] = ['sqlite', 'postgres'];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') quick = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      const list = a === '--only' ? argv[++i] : a.slice('--only='.length);
      for (const w of (list ?? '').split(',').filter(Boolean)) {
        const name = w.trim().toUpperCase() as Workload;
        if (!ALL.includes(name))
          throw new Error(`unknown workload \`${w}\`; known: ${ALL.join(', ')}`);
        only.add(name);
      }
    } else if (a === '--store' || a.startsWith('--store=')) {
      const v = a === '--store' ? argv[++i] : a.slice('--store='.length);
      if (v !== 'sqlite' && v !== 'postgres' && v !== 'all')
        throw new Error(`unknown store \`${v}\`; known: sqlite, postgres, all`);
      stores = v === 'all' ? ['sqlite', 'postgres'] : [v];
    } else if (a === '--out') out = argv[++i];
    else if (a === '--help' || a === '-h') {
      console.log(
        'usage: npm run bench [-- --only W1,W2] [--store sqlite|postgres|all] [--quick] [--out file.json]',
      );
      process.exit(0);
    } else throw new Error(`unknown argument \`${a}\` (try --help)`);
  }
  if (only.size === 0) for (const w of ALL) only.add(w);
  return { only, stores, quick, out };
}

/** The filesystem type under a path, from /proc/mounts (Linux), for the record. */
function fsType(path: string): string | null {
  try {
    let best = { mount: '', type: '' };
    for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const [, mount, type] = line.split(' ');
      if (mount && type && (path === mount || path.startsWith(mount === '/' ? '/' : `${mount}/`))) {
        if (mount.length > best.mount.length) best = { mount, type };
      }
    }
    return best.type || null;
  } catch {
    return null;
  }
}

function machine(): Record<string, unknown> {
  const db = new DatabaseSync(':memory:');
  const sqlite = (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  db.close();
  return { ...machineInfo(), sqlite, tmpdir: os.tmpdir(), tmpdirFs: fsType(os.tmpdir()) };
}

function targetOf(r: Row): { text: string; pass: boolean | null } {
  const t = TARGETS[r.store][`${r.workload} ${r.metric}`];
  if (!t) return { text: '', pass: null };
  const text = `${t.op} ${t.value.toLocaleString('en-US')}`;
  if (r.durability !== JUDGED[r.store]) return { text: `(${text})`, pass: null };
  const pass =
    t.op === '>=' ? r.value >= t.value : t.op === '<=' ? r.value <= t.value : r.value === t.value;
  return { text, pass };
}

function table(rows: Row[]): string {
  const head = [
    'store',
    'workload',
    'durability',
    'metric',
    'value',
    'unit',
    'target',
    'pass/fail',
  ];
  const body = rows.map((r) => {
    const t = targetOf(r);
    return [
      r.store,
      r.workload,
      r.durability,
      r.metric,
      r.value.toLocaleString('en-US', { maximumFractionDigits: 3 }),
      r.unit,
      t.text,
      t.pass === null ? '-' : t.pass ? 'pass' : 'FAIL',
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => (i === 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (i === 4 ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(head), rule, ...body.map(line)].join('\n');
}

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const log = (line: string): void => console.log(line);
  const http: HttpSettings = {
    apiJobs: args.quick ? 5_000 : 20_000,
    apiConnections: 50,
    fanoutClients: 100,
    fanoutJobs: 1_000,
    fanoutConcurrency: 50,
    fanoutReports: args.quick ? 5 : 10,
    fanoutEveryMs: 100,
  };
  const s: Settings = args.quick
    ? {
        store: 'sqlite',
        bulkJobs: 5_000,
        runs: 1,
        latencySeconds: 3,
        progressJobs: 100,
        progressReports: 100,
        progressWarmupRounds: 20,
        progressRounds: 2,
        recoveryRuns: 1,
        hungRuns: 0,
        log,
      }
    : {
        store: 'sqlite',
        bulkJobs: 20_000,
        runs: 3,
        latencySeconds: 10,
        progressJobs: 100,
        progressReports: 100,
        progressWarmupRounds: 20,
        progressRounds: 40,
        recoveryRuns: 5,
        hungRuns: 1,
        log,
      };
  const startedAt = new Date().toISOString();
  const loadAtStart = Math.round(os.loadavg()[0]! * 100) / 100;
  if (loadAtStart > 0.5) {
    log(
      `note: 1-minute load average is ${loadAtStart} before the bench: other work shares the CPUs`,
    );
  }
  const t0 = performance.now();
  const rows: Row[] = [];
  const errors: { workload: string; error: string }[] = [];

  const stepsOf = (
    store: BenchStore,
  ): { name: string; when: boolean; run: () => Promise<Row[]> }[] => {
    const p: Settings = { ...s, store };
    const judged = JUDGED[store];
    const has = (w: Workload) => args.only.has(w);
    return [
      { name: 'W1', when: has('W1'), run: () => w1(p, judged) },
      // SQLite's other durability, for information; PostgreSQL has only the one.
      {
        name: 'W1 power-loss',
        when: has('W1') && store === 'sqlite',
        run: () => w1(p, 'power-loss'),
      },
      {
        name: 'W2',
        when: has('W2') || has('W6'),
        run: async () => {
          const r = await w2(p, judged, has('W6'));
          return has('W2') ? r : r.filter((x) => x.workload === 'W6');
        },
      },
      {
        name: 'W2 power-loss',
        when: has('W2') && store === 'sqlite',
        run: () => w2(p, 'power-loss', false),
      },
      {
        name: 'W2 4 workers',
        when: has('W2') && store === 'postgres',
        run: () => w2Workers(p, judged, 4),
      },
      { name: 'W3', when: has('W3'), run: () => w3(p, judged) },
      { name: 'W4', when: has('W4'), run: () => w4(p, judged) },
      { name: 'W5', when: has('W5'), run: () => w5(p, judged) },
      { name: 'W7', when: has('W7'), run: () => w7({ ...p, ...http }, judged) },
      { name: 'W8', when: has('W8'), run: () => w8({ ...p, ...http }, judged) },
    ];
  };
  for (const store of args.stores) {
    for (const step of stepsOf(store)) {
      if (!step.when) continue;
      const name = `${store} ${step.name}`;
      const started = performance.now();
      log(`${name} ...`);
      try {
        const before = cpuSnapshot();
        const stepRows = await step.run();
        const load = otherLoad(before, cpuSnapshot());
        for (const r of stepRows) {
          r.store = store;
          r.otherCpuCores = load.otherCores;
        }
        rows.push(...stepRows);
        log(
          `${name} done in ${((performance.now() - started) / 1000).toFixed(1)} s` +
            ` (other processes kept ${load.otherCores ?? '?'} cores busy meanwhile)`,
        );
      } catch (error) {
        const message = String((error as Error)?.stack ?? error);
        errors.push({ workload: name, error: message });
        log(`${name} FAILED: ${message}`);
        killAllChildren();
      }
    }
  }
  rows.sort((a, b) => a.store.localeCompare(b.store) * -1 || a.workload.localeCompare(b.workload));

  const full = args.only.size === ALL.length && args.stores.length === 2 && !args.quick;
  const out = args.out
    ? resolve(args.out)
    : resolve(
        root,
        'bench/results',
        full ? 'latest.json' : `run-${startedAt.replace(/[:.]/g, '-')}.json`,
      );
  const document = {
    results: rows.map((r) => {
      const t = targetOf(r);
      return { ...r, target: t.text || null, pass: t.pass };
    }),
    machine: { ...machine(), loadAverage1mAtStart: loadAtStart },
    postgres: args.stores.includes('postgres')
      ? { url: BENCH_PG_URL, ...(await postgresInfo()) }
      : null,
    durability: JUDGED,
    startedAt,
    durationS: Math.round((performance.now() - t0) / 100) / 10,
    settings: { quick: args.quick, only: [...args.only], ...s, ...http, log: undefined },
    errors,
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(document, null, 2)}\n`);

  console.log(
    `\nKiln bench, ${startedAt}, ${document.durationS} s (${os.cpus().length} cores, Node ${process.version})`,
  );
  console.log(table(rows));
  const missed = rows.filter((r) => targetOf(r).pass === false);
  if (missed.length > 0)
    console.log(`\ntargets missed: ${missed.map((r) => `${r.workload} ${r.metric}`).join(', ')}`);
  if (errors.length > 0)
    console.log(`\nworkloads that failed to run: ${errors.map((e) => e.workload).join(', ')}`);
  console.log(`\nwritten: ${relative(process.cwd(), out) || out}`);
  return errors.length > 0 ? 1 : 0;
}

process.on('exit', killAllChildren);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAllChildren();
    process.exit(130);
  });
}

main().then(
  (code) => {
    killAllChildren();
    process.exit(code);
  },
  (error: unknown) => {
    console.error(error);
    killAllChildren();
    process.exit(2);
  },
);
