/**
 * GET /metrics over real HTTP on the whole app (startServer), after a real worker ran
 * real jobs: the text parsed, and each figure checked against the store or against what
 * the jobs did. Runs on both stores.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineJob, type Kiln } from '../../src/index.ts';
import { createMetrics } from '../../src/server/metrics/metrics.ts';
import { type RunningServer, startServer } from '../../src/server/server.ts';
import { waitFor } from '../support/helpers.ts';
import { useKiln, waitForJob } from '../support/library.ts';
import { testJob } from '../support/test-jobs.ts';

const TOKEN = 'metrics-secret';
const open = useKiln();
const servers: RunningServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

/** Waits for its signal: a job whose worker the test can make look dead. */
const hangJob = defineJob({
  type: 'hang',
  params: z.object({}),
  retry: { attempts: 1 },
  run: (ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', resolve)),
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format (0.0.4), samples only; `# TYPE` lines kept by name. */
function parse(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { samples, types };
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

async function scrape(server: RunningServer) {
  const res = await fetch(`${server.url}/metrics`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parse(await res.text());
}

async function serve(kiln: Kiln, worker: RunningServer['deps']['worker']) {
  const server = await startServer({ kiln, port: 0, token: TOKEN, worker, log: () => {} });
  servers.push(server);
  return server;
}

describe('/metrics', () => {
  it('reports the store, the worker and the HTTP requests after real jobs ran', async () => {
    const { kiln, work } = await open({ jobs: [testJob, hangJob] });
    const worker = work({ types: ['test'] });
    const server = await serve(kiln, worker);
    let flushed = 0;
    worker.events.on('progress:flush', ({ count }) => {
      flushed += count;
    });

    const ids: string[] = [];
    const add = async (params: object, runAt?: Date) =>
      ids.push((await kiln.enqueue(testJob, params, runAt ? { runAt } : {})).id);
    for (let i = 0; i < 3; i++) await add({ action: 'succeed' });
    for (let i = 0; i < 2; i++) await add({ action: 'progress', steps: 5, ms: 50 });
    await add({ action: 'throw-final' }); // 1 failure, not retried
    await add({ action: 'throw' }); // 3 attempts: 2 failures retried, then 1 final
    const later = new Date(Date.now() + 3_600_000);
    await kiln.enqueue(testJob, {}, { runAt: later });
    await kiln.enqueue(testJob, {}, { runAt: later });
    for (const id of ids)
      await waitForJob(kiln, id, (j) => ['completed', 'failed'].includes(j.state));

    // A worker that looks dead: its lease is expired by hand, and the server's worker
    // reaps the stalled attempt (the hanging worker itself neither renews nor reaps).
    const hanger = work({
      types: ['hang'],
      leaseMs: 3_600_000,
      renewEveryMs: 3_000_000,
      reapEveryMs: 3_600_000,
    });
    const hung = await kiln.enqueue(hangJob, {});
    await waitForJob(kiln, hung.id, 'running');
    expect(await kiln.store.expireLeases(hanger.id)).toBe(1);
    await waitForJob(kiln, hung.id, 'failed');

    // An API request with an id in its path, one that matches no route, one refused.
    expect(
      (
        await fetch(`${server.url}/api/jobs/${ids[0]}`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await fetch(`${server.url}/api/no/such/route`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        })
      ).status,
    ).toBe(404);
    // Outside /api a path is the dashboard's (its page), and must not become a label either.
    expect((await fetch(`${server.url}/no/such/route`)).status).toBe(200);
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);

    // Counters are bumped after each settle commits: wait for the worker's last events.
    await waitFor(
      async () => value((await scrape(server)).samples, 'kiln_completions_total') === 5,
    );
    const { samples, types } = await scrape(server);

    // kiln_jobs: exactly the store's counts, every state of every type (zeros included).
    const counts = await kiln.store.countJobs();
    for (const c of counts) {
      expect(
        value(samples, 'kiln_jobs', { state: c.state, type: c.type }),
        `${c.state} ${c.type}`,
      ).toBe(c.count);
    }
    expect(value(samples, 'kiln_jobs', { type: 'test', state: 'completed' })).toBe(5);
    expect(value(samples, 'kiln_jobs', { type: 'test', state: 'failed' })).toBe(2);
    expect(value(samples, 'kiln_jobs', { type: 'test', state: 'pending' })).toBe(2);
    expect(value(samples, 'kiln_jobs', { type: 'hang', state: 'failed' })).toBe(1);
    expect(samples.filter((s) => s.name === 'kiln_jobs' && s.labels.type === 'test')).toHaveLength(
      5,
    );
    expect(value(samples, 'kiln_jobs', { type: 'test', state: 'cancelled' })).toBe(0);

    // The server's worker: 3 + 2 + 1 + 3 attempts claimed, 5 completed, failures by retry.
    expect(value(samples, 'kiln_claims_total', { type: 'test' })).toBe(9);
    expect(value(samples, 'kiln_completions_total', { type: 'test' })).toBe(5);
    expect(value(samples, 'kiln_failures_total', { type: 'test', retrying: 'true' })).toBe(2);
    expect(value(samples, 'kiln_failures_total', { type: 'test', retrying: 'false' })).toBe(2);
    expect(value(samples, 'kiln_lease_expiries_total', { retrying: 'false' })).toBe(1);
    expect(value(samples, 'kiln_lease_expiries_total', { retrying: 'true' })).toBe(0);
    expect(flushed).toBeGreaterThan(0);
    expect(value(samples, 'kiln_progress_writes_total')).toBe(flushed);

    // HTTP: route patterns, never paths.
    const http = 'kiln_http_request_duration_seconds_count';
    expect(value(samples, http, { method: 'GET', route: '/api/jobs/:id', status: '200' })).toBe(1);
    expect(value(samples, http, { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(value(samples, http, { route: '/metrics', status: '401' })).toBe(1);
    expect(value(samples, http, { route: '/metrics', status: '200' })).toBeGreaterThan(0);
    for (const s of samples.filter((s) => s.name.startsWith('kiln_http_'))) {
      expect(s.labels.route).not.toContain(ids[0]!);
      expect(s.labels.route).not.toContain('/no/such');
    }
    expect(
      value(samples, 'kiln_http_request_duration_seconds_bucket', {
        route: '/api/jobs/:id',
        le: '+Inf',
      }),
    ).toBe(1);

    expect(types.get('kiln_jobs')).toBe('gauge');
    expect(types.get('kiln_claims_total')).toBe('counter');
    expect(types.get('kiln_http_request_duration_seconds')).toBe('histogram');
    expect(types.get('kiln_feed_lag')).toBe('gauge');
    // prom-client's process metrics.
    expect(samples.some((s) => s.name === 'process_cpu_user_seconds_total')).toBe(true);
    expect(samples.some((s) => s.name === 'nodejs_eventloop_lag_seconds')).toBe(true);
  });

  it('counts the jobs once however many scrapes come at once, and caches them', async () => {
    const { kiln } = await open({ jobs: [testJob] });
    const server = await serve(kiln, undefined);
    let reads = 0;
    const count = kiln.store.countJobs.bind(kiln.store);
    kiln.store.countJobs = () => {
      reads++;
      return count();
    };
    await kiln.enqueue(testJob, {});
    const scrapes = await Promise.all(Array.from({ length: 5 }, () => scrape(server)));
    expect(reads).toBe(1);
    for (const { samples } of scrapes) {
      expect(value(samples, 'kiln_jobs', { type: 'test', state: 'pending' })).toBe(1);
    }
    await kiln.enqueue(testJob, {});
    const again = await scrape(server);
    expect(reads).toBe(1); // within the cache's few seconds: the same figures
    expect(value(again.samples, 'kiln_jobs', { type: 'test', state: 'pending' })).toBe(1);
    // Without a worker in the process, the worker's counters are there, at 0.
    expect(again.types.get('kiln_completions_total')).toBe('counter');
    expect(value(again.samples, 'kiln_completions_total')).toBe(0);
  });

  it('reports how many committed changes the slowest feed follower has not delivered', async () => {
    const { kiln } = await open({ jobs: [testJob] });
    const deps = { kiln, token: undefined, bodyLimitBytes: 1, log: () => {}, worker: undefined };
    const metrics = createMetrics(deps, { storeFiguresTtlMs: 0 });
    const scrapeLag = async (name = 'kiln_feed_lag') =>
      value(parse(await metrics.registry.metrics()).samples, name);
    await kiln.enqueue(testJob, {});
    expect(await scrapeLag()).toBe(0); // nobody follows
    let position = await kiln.store.currentSeq();
    let other = position;
    const stop = metrics.feedLag.follow(() => position);
    metrics.feedLag.follow(() => other);
    expect(await scrapeLag()).toBe(0);
    for (let i = 0; i < 3; i++) await kiln.enqueue(testJob, {});
    expect(await scrapeLag()).toBe(3);
    other = await kiln.store.currentSeq();
    expect(await scrapeLag()).toBe(3); // the slowest counts
    stop();
    expect(await scrapeLag()).toBe(0);
    position = 0;
    metrics.feedLag.setSeconds(2.5);
    expect(await scrapeLag('kiln_feed_lag_seconds')).toBe(2.5);
    metrics.close();
  });
});
