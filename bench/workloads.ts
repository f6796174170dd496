/**
 * The bench workloads W1-W6, each on a fresh store (a SQLite file in a temp folder, or a
 * PostgreSQL schema: support/stores.ts).
 * Every figure is produced through the public API (src/index.ts); workers and watchers
 * run in their own processes (bench/support/worker.ts, bench/support/watcher.ts).
 */
import { type Durability, Kiln } from '../src/index.ts';
import { Child } from './support/child.ts';
import { nowMs } from './support/clock.ts';
import { allJobs, hold, latency, noop, progress } from './support/jobs.ts';
import { pacedAdds } from './support/pacing.ts';
import type { Observation } from './support/protocol.ts';
import { median, percentile, round } from './support/stats.ts';
import { type BenchStore, withBenchStore } from './support/stores.ts';

export interface Row {
  store: BenchStore;
  workload: string;
  metric: string;
  value: number;
  unit: string;
  durability: Durability;
  /** Per-run values when the row is a median of several runs. */
  samples?: number[];
  /**
   * Cores (of the machine's 2) that processes outside the bench kept busy on average
   * while this workload ran: above ~0.2 the figure is disturbed.
   */
  otherCpuCores?: number | null;
  /** Anything else worth keeping next to the figure. */
  detail?: Record<string, unknown>;
}

export interface Settings {
  /** The store every workload of this pass runs on. */
  store: BenchStore;
  /** Jobs for W1 and W2. */
  bulkJobs: number;
  /** Runs of W1 and W2 (the median is reported). */
  runs: number;
  /** W3: measured seconds (after a 1 s warm-up) at one enqueue every 5 ms. */
  latencySeconds: number;
  /** W4: jobs per round, each reporting `progressReports` values. */
  progressJobs: number;
  progressReports: number;
  /** W4: rounds run before the measured ones, to warm up both processes. */
  progressWarmupRounds: number;
  /** W4: measured rounds (their reports are pooled). */
  progressRounds: number;
  /** W5: kill-and-recover runs. */
  recoveryRuns: number;
  /** W5: hang-and-recover runs (SIGSTOP; each waits out a 9 s lease). */
  hungRuns: number;
  log: (line: string) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A result row; run.ts sets `store` for every row of a pass. */
export function row(
  workload: string,
  metric: string,
  value: number,
  unit: string,
  durability: Durability,
  extra: Partial<Row> = {},
): Row {
  return { store: 'sqlite', workload, metric, value, unit, durability, ...extra };
}

/** Pending, running or failed jobs left in the store (0 when everything completed). */
async function unfinished(kiln: Kiln): Promise<number> {
  const page = await kiln.jobs.list({ state: ['pending', 'running', 'failed'], limit: 1000 });
  return page.items.length;
}

// ---- W1: bulk enqueue ------------------------------------------------------------

async function bulkEnqueueOnce(s: Settings, n: number, durability: Durability): Promise<number> {
  return withBenchStore(s.store, 'w1', async (store) => {
    const kiln = await Kiln.open({ store, durability, jobs: allJobs });
    try {
      const items = Array.from({ length: n }, (_, i) => ({ job: noop, params: { i } }));
      const t0 = performance.now();
      const inserted = await kiln.enqueueMany(items);
      const ms = performance.now() - t0;
      if (inserted.length !== n || !inserted.every((j) => j.created))
        throw new Error('W1: not every job was created');
      return n / (ms / 1000);
    } finally {
      await kiln.close();
    }
  });
}

export async function w1(s: Settings, durability: Durability): Promise<Row[]> {
  // One untimed run of the same size first: the figure is for a warm producer process,
  // not for JIT warm-up (the cold figure is kept in the row's detail).
  const cold = await bulkEnqueueOnce(s, s.bulkJobs, durability);
  const samples: number[] = [];
  for (let r = 0; r < s.runs; r++) {
    samples.push(await bulkEnqueueOnce(s, s.bulkJobs, durability));
    s.log(`  W1 ${durability} run ${r + 1}: ${Math.round(samples[r]!)} jobs/s`);
  }
  return [
    row('W1', 'bulk_jobs_per_s', Math.round(median(samples)), 'jobs/s', durability, {
      samples: samples.map(Math.round),
      detail: { jobs: s.bulkJobs, runs: s.runs, coldRunJobsPerS: Math.round(cold) },
    }),
  ];
}

// ---- W2 (and W6): drain by one worker process ------------------------------------

interface DrainRun {
  jobsPerS: number;
  firstClaimToLastMs: number;
  startToFirstClaimMs: number;
  peakRssMb: number;
  sampledPeakRssMb: number;
  /** RSS of the worker process once its store was open, before the worker started. */
  readyRssMb: number;
  workerErrors: number;
}

async function drainOnce(s: Settings, n: number, durability: Durability): Promise<DrainRun> {
  return withBenchStore(s.store, 'w2', async (store) => {
    const producer = await Kiln.open({ store, durability, jobs: allJobs });
    await producer.enqueueMany(Array.from({ length: n }, (_, i) => ({ job: noop, params: { i } })));
    await producer.close();

    const child = new Child('W2 worker', 'worker', {
      store,
      durability,
      mode: 'drain',
      concurrency: 50,
      expect: n,
    });
    try {
      const ready = await child.next('ready', 30_000);
      child.send({ type: 'start' });
      const done = await child.next('done', 120_000);
      const report = await child.stop();
      if (done.completed !== n)
        throw new Error(`W2: ${done.completed} of ${n} jobs completed, ${done.failed} failed`);
      const check = await Kiln.open({ store, durability });
      const left = await unfinished(check);
      await check.close();
      if (left !== 0) throw new Error(`W2: ${left} jobs not completed after the drain`);
      const mb = (b: number): number => b / (1024 * 1024);
      return {
        jobsPerS: n / ((done.lastCompleteMs - done.startMs) / 1000),
        firstClaimToLastMs: done.lastCompleteMs - done.firstStartMs,
        startToFirstClaimMs: done.firstStartMs - done.startMs,
        peakRssMb: mb(report.vmHwmBytes ?? report.sampledPeakRssBytes),
        sampledPeakRssMb: mb(report.sampledPeakRssBytes),
        readyRssMb: mb(ready.rssBytes),
        workerErrors: report.workerErrors,
      };
    } finally {
      child.kill();
    }
  });
}

export async function w2(s: Settings, durability: Durability, withRss: boolean): Promise<Row[]> {
  const runs: DrainRun[] = [];
  for (let r = 0; r < s.runs; r++) {
    const run = await drainOnce(s, s.bulkJobs, durability);
    runs.push(run);
    s.log(
      `  W2 ${durability} run ${r + 1}: ${Math.round(run.jobsPerS)} jobs/s ` +
        `(start->first claim ${run.startToFirstClaimMs.toFixed(1)} ms, peak RSS ${run.peakRssMb.toFixed(1)} MB, ${run.readyRssMb.toFixed(1)} MB before start)`,
    );
  }
  const rows = [
    row('W2', 'jobs_per_s', Math.round(median(runs.map((r) => r.jobsPerS))), 'jobs/s', durability, {
      samples: runs.map((r) => Math.round(r.jobsPerS)),
      detail: {
        jobs: s.bulkJobs,
        concurrency: 50,
        runs: s.runs,
        firstClaimToLastMs: runs.map((r) => round(r.firstClaimToLastMs, 1)),
        startToFirstClaimMs: runs.map((r) => round(r.startToFirstClaimMs, 1)),
        workerErrors: runs.reduce((a, r) => a + r.workerErrors, 0),
      },
    }),
  ];
  if (withRss) {
    rows.push(
      row(
        'W6',
        'peak_rss_mb',
        round(Math.max(...runs.map((r) => r.peakRssMb)), 1),
        'MB',
        durability,
        {
          samples: runs.map((r) => round(r.peakRssMb, 1)),
          detail: {
            source: 'VmHWM of the W2 worker process (highest of the runs)',
            sampledPeakMb: runs.map((r) => round(r.sampledPeakRssMb, 1)),
            rssBeforeWorkerStartMb: runs.map((r) => round(r.readyRssMb, 1)),
          },
        },
      ),
    );
  }
  return rows;
}

/**
 * W2 with several worker processes on one store (PostgreSQL: the many-machines case on
 * one machine). Each process runs `concurrency` 50; the figure is all jobs over the time
 * from the first `start` to the last completion in any process. The bench polls the
 * store's completed count to know when to stop them (one cheap query every 20 ms).
 */
export async function w2Workers(
  s: Settings,
  durability: Durability,
  workers: number,
): Promise<Row[]> {
  const runs: { jobsPerS: number; perWorker: number[] }[] = [];
  for (let r = 0; r < s.runs; r++) {
    const run = await withBenchStore(s.store, 'w2m', async (store) => {
      const n = s.bulkJobs;
      const kiln = await Kiln.open({ store, durability, jobs: allJobs });
      await kiln.enqueueMany(Array.from({ length: n }, (_, i) => ({ job: noop, params: { i } })));
      const children = Array.from(
        { length: workers },
        (_, i) =>
          new Child(`W2 worker ${i + 1}`, 'worker', {
            store,
            durability,
            mode: 'drain',
            concurrency: 50,
          }),
      );
      try {
        await Promise.all(children.map((c) => c.next('ready', 30_000)));
        for (const c of children) c.send({ type: 'start' });
        const deadline = Date.now() + 120_000;
        while (
          (await kiln.jobs.list({ state: 'completed', limit: 1 })).items.length === 0 ||
          (await unfinished(kiln)) > 0
        ) {
          if (Date.now() > deadline)
            throw new Error('W2 workers: the drain did not finish in 120 s');
          await sleep(20);
        }
        const reports = await Promise.all(children.map((c) => c.stop()));
        const completed = reports.map((x) => x.completed ?? 0);
        const total = completed.reduce((a, b) => a + b, 0);
        if (total !== n) throw new Error(`W2 workers: ${total} completions for ${n} jobs`);
        const start = Math.min(...reports.map((x) => x.startMs!));
        const end = Math.max(...reports.map((x) => x.lastCompleteMs!));
        return { jobsPerS: n / ((end - start) / 1000), perWorker: completed };
      } finally {
        for (const c of children) c.kill();
        await kiln.close();
      }
    });
    runs.push(run);
    s.log(
      `  W2 ${workers} workers run ${r + 1}: ${Math.round(run.jobsPerS)} jobs/s (per worker ${run.perWorker.join(', ')})`,
    );
  }
  return [
    row(
      'W2',
      `jobs_per_s_${workers}_workers`,
      Math.round(median(runs.map((r) => r.jobsPerS))),
      'jobs/s',
      durability,
      {
        samples: runs.map((r) => Math.round(r.jobsPerS)),
        detail: {
          jobs: s.bulkJobs,
          workers,
          concurrencyEach: 50,
          perWorker: runs.map((r) => r.perWorker),
        },
      },
    ),
  ];
}

// ---- W3: enqueue -> handler start latency ----------------------------------------

export async function w3(s: Settings, durability: Durability): Promise<Row[]> {
  return withBenchStore(s.store, 'w3', async (store) => {
    const kiln = await Kiln.open({ store, durability, jobs: allJobs });
    const child = new Child('W3 worker', 'worker', {
      store,
      durability,
      mode: 'latency',
      concurrency: 50,
    });
    try {
      await child.next('ready', 30_000);
      child.send({ type: 'start' });
      await sleep(200); // the worker's first (empty) claim and idle wait
      const {
        total,
        measureFrom,
        late,
        addMs: enqueueMs,
        producedMs,
      } = await pacedAdds(s.latencySeconds, (t) => kiln.enqueue(latency, { t }));
      const deadline = Date.now() + 10_000;
      while ((await unfinished(kiln)) > 0 && Date.now() < deadline) await sleep(20);
      const report = await child.stop();
      if (report.latency.length !== total)
        throw new Error(`W3: ${report.latency.length} of ${total} jobs started`);
      const lat = report.latency
        .filter(([t]) => t >= measureFrom)
        .map(([t, started]) => started - t);
      const detail = {
        jobs: lat.length,
        warmupJobs: total - lat.length,
        ratePerS: round(total / (producedMs / 1000), 1),
        lateEnqueues: late,
        maxMs: round(Math.max(...lat), 3),
        over2Ms: lat.filter((x) => x > 2).length,
        over10Ms: lat.filter((x) => x > 10).length,
        p90Ms: round(percentile(lat, 90), 3),
        p999Ms: round(percentile(lat, 99.9), 3),
        enqueueCallP50Ms: round(percentile(enqueueMs, 50), 3),
        enqueueCallP99Ms: round(percentile(enqueueMs, 99), 3),
        enqueueCallMaxMs: round(Math.max(...enqueueMs), 3),
        workerErrors: report.workerErrors,
      };
      s.log(`  W3: ${JSON.stringify(detail)}`);
      return [
        row('W3', 'p50_ms', round(percentile(lat, 50), 3), 'ms', durability, { detail }),
        row('W3', 'p99_ms', round(percentile(lat, 99), 3), 'ms', durability, { detail }),
      ];
    } finally {
      child.kill();
      await kiln.close();
    }
  });
}

// ---- W4: progress throughput and cross-process observer latency -----------------

/** What one W4 round measured: the handlers' reports against what the watcher saw. */
interface ProgressRound {
  updatesPerS: number;
  delays: number[];
  backwards: number;
  reports: number;
  reportSpanMs: number;
  observations: number;
  unobserved: number;
}

/**
 * Reads one round: `progress` holds each job's report times (report i is the value
 * i/n), `observations` what the watcher saw, in order. A report's delay is the time
 * until the watcher first saw that value or a later one.
 */
function readProgressRound(
  progress: [string, number[]][],
  observations: Observation[],
): ProgressRound {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  let reports = 0;
  for (const [, times] of progress) {
    reports += times.length;
    first = Math.min(first, times[0]!);
    last = Math.max(last, times[times.length - 1]!);
  }
  const byJob = new Map<string, Observation[]>();
  for (const [id] of progress) byJob.set(id, []);
  let seen = 0;
  for (const o of observations) {
    const list = byJob.get(o[0]);
    if (list === undefined) continue;
    list.push(o);
    seen++;
  }
  let backwards = 0;
  for (const list of byJob.values()) {
    for (let i = 1; i < list.length; i++) {
      const [, attempt, value] = list[i]!;
      const [, prevAttempt, prevValue] = list[i - 1]!;
      if (attempt === prevAttempt && value < prevValue) backwards++;
    }
  }
  const delays: number[] = [];
  let unobserved = 0;
  for (const [id, times] of progress) {
    const list = byJob.get(id)!.filter((o) => o[1] === 1);
    let k = 0;
    for (let i = 0; i < times.length; i++) {
      const value = (i + 1) / times.length;
      while (k < list.length && !(list[k]![2] >= value || list[k]![3] === 'completed')) k++;
      if (k === list.length) {
        unobserved++;
        continue;
      }
      delays.push(list[k]![4] - times[i]!);
    }
  }
  return {
    updatesPerS: reports / ((last - first) / 1000),
    delays,
    backwards,
    reports,
    reportSpanMs: round(last - first, 1),
    observations: seen,
    unobserved,
  };
}

/**
 * Rounds of `progressJobs` jobs in the same worker and watcher processes: warm-up
 * rounds first, then measured ones, their reports pooled. The first round lasts about
 * 30 ms, and V8 spends much of it compiling both processes' hot paths on compiler
 * threads that take turns with them on two cores; warm rounds take under 10 ms. A
 * worker serving progress runs for hours, so, as W3 does, the figures are taken warm;
 * the first round is kept in the detail as `cold`. Backwards counts every round.
 */
export async function w4(s: Settings, durability: Durability): Promise<Row[]> {
  return withBenchStore(s.store, 'w4', async (store) => {
    const n = s.progressJobs;
    const rounds = s.progressWarmupRounds + s.progressRounds;
    const producer = await Kiln.open({ store, durability, jobs: allJobs });
    const enqueueRound = async (): Promise<Set<string>> => {
      const jobs = await producer.enqueueMany(
        Array.from({ length: n }, () => ({
          job: progress,
          params: { reports: s.progressReports },
        })),
      );
      return new Set(jobs.map((j) => j.id));
    };
    const roundIds = [await enqueueRound()];
    const watcher = new Child('W4 watcher', 'watcher', {
      store,
      durability,
      expect: rounds * n,
      roundSize: n,
    });
    const worker = new Child('W4 worker', 'worker', {
      store,
      durability,
      mode: 'progress',
      concurrency: n,
      expect: n,
    });
    try {
      await Promise.all([watcher.next('ready', 30_000), worker.next('ready', 30_000)]);
      worker.send({ type: 'start' });
      for (let r = 1; r <= rounds; r++) {
        // The worker's counts run on across rounds.
        const done = await worker.next('done', 60_000);
        if (done.completed !== r * n)
          throw new Error(`W4 round ${r}: ${done.completed} of ${r * n} jobs completed`);
        // The next round is enqueued once the watcher saw this one end: on two cores,
        // this process enqueueing would otherwise hold up the watcher at the very end
        // of the measured round.
        await watcher.next('seen', 60_000);
        if (r < rounds) roundIds.push(await enqueueRound());
      }
      const report = await worker.stop();
      const seen = await watcher.next('report', 30_000);

      const read = (ids: Set<string>) =>
        readProgressRound(
          report.progress.filter(([id]) => ids.has(id)),
          seen.observations,
        );
      const all = roundIds.map(read);
      const measured = all.slice(s.progressWarmupRounds);
      const delays = measured.flatMap((r) => r.delays);
      const backwards = all.reduce((sum, r) => sum + r.backwards, 0);
      const unobserved = all.reduce((sum, r) => sum + r.unobserved, 0);
      const p99 = (r: ProgressRound) => round(percentile(r.delays, 99), 3);
      const rate = (r: ProgressRound) => Math.round(r.updatesPerS);
      const detail = {
        jobs: n,
        reportsPerJob: s.progressReports,
        warmupRounds: s.progressWarmupRounds,
        measuredRounds: s.progressRounds,
        measuredReports: delays.length,
        unobserved,
        observerP90Ms: round(percentile(delays, 90), 3),
        observerMaxMs: round(
          delays.reduce((a, b) => Math.max(a, b), 0),
          3,
        ),
        roundObserverP99Ms: measured.map(p99),
        roundUpdatesPerS: measured.map(rate),
        roundSpanMs: measured.map((r) => r.reportSpanMs),
        cold: { observerP99Ms: p99(all[0]!), updatesPerS: rate(all[0]!) },
        workerErrors: report.workerErrors,
      };
      s.log(`  W4: ${JSON.stringify(detail)}`);
      return [
        row('W4', 'updates_per_s', median(measured.map(rate)), 'updates/s', durability, {
          samples: measured.map(rate),
          detail,
        }),
        row('W4', 'observer_p50_ms', round(percentile(delays, 50), 3), 'ms', durability),
        row('W4', 'observer_p99_ms', round(percentile(delays, 99), 3), 'ms', durability, {
          samples: measured.map(p99),
        }),
        row('W4', 'backwards', backwards, 'count', durability),
      ];
    } finally {
      await producer.close();
      worker.kill();
      watcher.kill();
    }
  });
}

// ---- W5: recovery after kill -9 of a worker holding a job ---------------------------

interface RecoveryRun {
  recoveryS: number;
  claimToKillMs: number;
  killToSecondWorkerReadyMs: number;
  /** When the second worker reclaimed the expired attempt (job:stalled), after the kill. */
  killToReapS: number | null;
  attempt: number;
  workerErrors: number;
}

/**
 * 'kill': SIGKILL, the worker process is gone. 'hang': SIGSTOP, the process still exists
 * but does nothing (a hung worker): only its lease running out frees the job.
 */
async function recoveryOnce(
  s: Settings,
  durability: Durability,
  how: 'kill' | 'hang',
): Promise<RecoveryRun> {
  return withBenchStore(s.store, 'w5', async (store) => {
    const producer = await Kiln.open({ store, durability, jobs: allJobs });
    await producer.enqueue(hold, {});
    await producer.close();
    const config = { store, durability, mode: 'hold' as const };
    const a = new Child('W5 worker A', 'worker', config);
    let b: Child | undefined;
    try {
      await a.next('ready', 30_000);
      a.send({ type: 'start' });
      const first = await a.next('started', 30_000);
      if (first.attempt !== 1) throw new Error(`W5: first start was attempt ${first.attempt}`);
      const killedAt = nowMs();
      a.proc.kill(how === 'kill' ? 'SIGKILL' : 'SIGSTOP');
      b = new Child('W5 worker B', 'worker', config);
      if (how === 'kill') await a.exited;
      await b.next('ready', 30_000);
      const readyAt = nowMs();
      b.send({ type: 'start' });
      const again = await b.next('started', 60_000);
      const stalled = await b.next('stalled', 1_000).catch(() => null);
      const report = await b.stop();
      return {
        recoveryS: (again.atMs - killedAt) / 1000,
        attempt: again.attempt,
        claimToKillMs: killedAt - first.atMs,
        killToSecondWorkerReadyMs: readyAt - killedAt,
        killToReapS: stalled ? (stalled.atMs - killedAt) / 1000 : null,
        workerErrors: report.workerErrors,
      };
    } finally {
      a.kill();
      b?.kill();
    }
  });
}

/**
 * W5: a worker holding a job is killed (SIGKILL) right after its handler started, a second
 * worker process starts, and the time from the kill to the second attempt's handler start
 * is measured; the worst of `recoveryRuns` is reported. With `hungRuns`, the same with
 * SIGSTOP instead (informational: the lease-expiry path, as for a worker on another host).
 */
export async function w5(s: Settings, durability: Durability): Promise<Row[]> {
  const rows: Row[] = [];
  const variants = [
    { how: 'kill' as const, runs: s.recoveryRuns, metric: 'recovery_s' },
    { how: 'hang' as const, runs: s.hungRuns, metric: 'recovery_hung_s' },
  ];
  for (const v of variants) {
    if (v.runs === 0) continue;
    const runs: RecoveryRun[] = [];
    for (let r = 0; r < v.runs; r++) {
      const run = await recoveryOnce(s, durability, v.how);
      runs.push(run);
      s.log(
        `  W5 ${v.how} run ${r + 1}: recovery ${run.recoveryS.toFixed(2)} s (attempt ${run.attempt}, ` +
          `${v.how === 'kill' ? 'killed' : 'stopped'} ${run.claimToKillMs.toFixed(1)} ms after the claim, ` +
          `second worker ready ${run.killToSecondWorkerReadyMs.toFixed(0)} ms later, ` +
          `stalled attempt reclaimed ${run.killToReapS?.toFixed(2)} s after the ${v.how})`,
      );
    }
    const samples = runs.map((r) => round(r.recoveryS, 2));
    rows.push(
      row('W5', v.metric, Math.max(...samples), 's', durability, {
        samples,
        detail: {
          signal: v.how === 'kill' ? 'SIGKILL' : 'SIGSTOP',
          reported: 'worst of the runs (the target is an upper bound)',
          median: median(samples),
          toSecondWorkerReadyMs: runs.map((r) => round(r.killToSecondWorkerReadyMs, 1)),
          toReapS: runs.map((r) => (r.killToReapS === null ? null : round(r.killToReapS, 2))),
          workerErrors: runs.reduce((a, r) => a + r.workerErrors, 0),
        },
      }),
    );
  }
  return rows;
}
