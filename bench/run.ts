/**
 * Kiln's benchmark harness: `npm run bench` (all workloads), `npm run bench -- --only W2`
 * (a subset: W1..W6, comma-separated or repeated), `--quick` (smaller counts, one run).
 *
 * A full run writes bench/results/latest.json; a subset or a quick run writes
 * bench/results/run-<time>.json (ignored by git) so it never replaces the full figures.
 * `--out <file>` picks the file. See docs/PERFORMANCE.md for the method.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, relative, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import type { Durability } from '../src/index.ts';
import { killAllChildren } from './support/child.ts';
import { cpuSnapshot, otherLoad } from './support/cpu.ts';
import { type Row, type Settings, w1, w2, w3, w4, w5 } from './workloads.ts';

const ALL = ['W1', 'W2', 'W3', 'W4', 'W5', 'W6'] as const;
type Workload = (typeof ALL)[number];

/** Targets apply to the default durability ('process-crash'); other rows are for information. */
const TARGETS: Record<string, { op: '>=' | '<=' | '=='; value: number }> = {
  'W1 bulk_jobs_per_s': { op: '>=', value: 170_000 },
  'W2 jobs_per_s': { op: '>=', value: 92_000 },
  'W3 p99_ms': { op: '<=', value: 1.5 },
  'W4 updates_per_s': { op: '>=', value: 100_000 },
  'W4 observer_p99_ms': { op: '<=', value: 5 },
  'W4 backwards': { op: '==', value: 0 },
  'W5 recovery_s': { op: '<=', value: 10 },
  'W6 peak_rss_mb': { op: '<=', value: 100 },
};

interface Args {
  only: Set<Workload>;
  quick: boolean;
  out: string | undefined;
}

function parseArgs(argv: string[]): Args {
  const only = new Set<Workload>();
  let quick = false;
  let out: string | undefined;
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
    } else if (a === '--out') out = argv[++i];
    else if (a === '--help' || a === '-h') {
      console.log('usage: npm run bench [-- --only W1,W2] [--quick] [--out file.json]');
      process.exit(0);
    } else throw new Error(`unknown argument \`${a}\` (try --help)`);
  }
  if (only.size === 0) for (const w of ALL) only.add(w);
  return { only, quick, out };
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
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
  const cpus = os.cpus();
  const db = new DatabaseSync(':memory:');
  const sqlite = (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  db.close();
  const status = git(['status', '--porcelain', '--', 'src']);
  return {
    cpus: cpus.length,
    availableParallelism: os.availableParallelism(),
    cpuModel: cpus[0]?.model ?? null,
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    sqlite,
    tmpdir: os.tmpdir(),
    tmpdirFs: fsType(os.tmpdir()),
    gitCommit: git(['rev-parse', 'HEAD']),
    srcUncommittedChanges: status === null ? null : status.length > 0,
    loadAverage1m: Math.round(os.loadavg()[0]! * 100) / 100,
  };
}

function targetOf(r: Row): { text: string; pass: boolean | null } {
  const t = TARGETS[`${r.workload} ${r.metric}`];
  if (!t) return { text: '', pass: null };
  const text = `${t.op} ${t.value.toLocaleString('en-US')}`;
  if (r.durability !== 'process-crash') return { text: `(${text})`, pass: null };
  const pass =
    t.op === '>=' ? r.value >= t.value : t.op === '<=' ? r.value <= t.value : r.value === t.value;
  return { text, pass };
}

function table(rows: Row[]): string {
  const head = ['workload', 'durability', 'metric', 'value', 'unit', 'target', 'pass/fail'];
  const body = rows.map((r) => {
    const t = targetOf(r);
    return [
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
    `| ${cells.map((c, i) => (i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (i === 3 ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(head), rule, ...body.map(line)].join('\n');
}

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const log = (line: string): void => console.log(line);
  const s: Settings = args.quick
    ? {
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
  const d: Durability = 'process-crash';

  const steps: { name: string; when: boolean; run: () => Promise<Row[]> }[] = [
    { name: 'W1', when: args.only.has('W1'), run: () => w1(s, d) },
    { name: 'W1 power-loss', when: args.only.has('W1'), run: () => w1(s, 'power-loss') },
    {
      name: 'W2',
      when: args.only.has('W2') || args.only.has('W6'),
      run: async () => {
        const r = await w2(s, d, args.only.has('W6'));
        return args.only.has('W2') ? r : r.filter((x) => x.workload === 'W6');
      },
    },
    { name: 'W2 power-loss', when: args.only.has('W2'), run: () => w2(s, 'power-loss', false) },
    { name: 'W3', when: args.only.has('W3'), run: () => w3(s, d) },
    { name: 'W4', when: args.only.has('W4'), run: () => w4(s, d) },
    { name: 'W5', when: args.only.has('W5'), run: () => w5(s, d) },
  ];
  for (const step of steps) {
    if (!step.when) continue;
    const started = performance.now();
    log(`${step.name} ...`);
    try {
      const before = cpuSnapshot();
      const stepRows = await step.run();
      const load = otherLoad(before, cpuSnapshot());
      for (const r of stepRows) r.otherCpuCores = load.otherCores;
      rows.push(...stepRows);
      log(
        `${step.name} done in ${((performance.now() - started) / 1000).toFixed(1)} s` +
          ` (other processes kept ${load.otherCores ?? '?'} cores busy meanwhile)`,
      );
    } catch (error) {
      const message = String((error as Error)?.stack ?? error);
      errors.push({ workload: step.name, error: message });
      log(`${step.name} FAILED: ${message}`);
      killAllChildren();
    }
  }
  rows.sort((a, b) => a.workload.localeCompare(b.workload));

  const full = args.only.size === ALL.length && !args.quick;
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
    durability: d,
    startedAt,
    durationS: Math.round((performance.now() - t0) / 100) / 10,
    settings: { quick: args.quick, only: [...args.only], ...s, log: undefined },
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
