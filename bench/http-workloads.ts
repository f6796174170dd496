/**
 * The server's workloads: W7 (enqueue over HTTP with 50 connections) and W8 (event
 * fan-out: 100 event-stream clients following one batch of 1,000 jobs that report
 * progress). The server runs in a process of its own, as `kiln serve` does; the load
 * (W7) comes from this process and the clients (W8) from a third one.
 */
import http from 'node:http';
import type { Durability } from '../src/index.ts';
import { Child } from './support/child.ts';
import type { ServerConfig } from './support/protocol.ts';
import { percentile, round } from './support/stats.ts';
import { withBenchStore } from './support/stores.ts';
import { type Row, row, type Settings } from './workloads.ts';

export interface HttpSettings {
  /** W7: jobs enqueued, one POST each. */
  apiJobs: number;
  apiConnections: number;
  /** W8 */
  fanoutClients: number;
  fanoutJobs: number;
  /** The server's embedded worker: jobs run at once (the batch runs in waves). */
  fanoutConcurrency: number;
  fanoutReports: number;
  fanoutEveryMs: number;
}

async function startServerChild(
  config: ServerConfig,
): Promise<{ child: Child; url: string; readyRssMb: number }> {
  const child = new Child('server', 'server', config);
  const ready = await child.next('ready', 30_000);
  return { child, url: ready.url!, readyRssMb: ready.rssBytes / 2 ** 20 };
}

/** POSTs a JSON body on a keep-alive agent; resolves with the status and body. */
function post(
  agent: http.Agent,
  url: string,
  body: unknown,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

export async function w7(s: Settings & HttpSettings, durability: Durability): Promise<Row[]> {
  return withBenchStore(s.store, 'w7', async (store) => {
    const { child, url } = await startServerChild({ store, durability });
    const agent = new http.Agent({ keepAlive: true, maxSockets: s.apiConnections });
    try {
      const n = s.apiJobs;
      const latencies: number[] = [];
      let next = 0;
      const lane = async (): Promise<void> => {
        while (next < n) {
          const i = next++;
          const t = performance.now();
          const r = await post(agent, `${url}/api/jobs`, { type: 'bench.noop', params: { i } });
          latencies.push(performance.now() - t);
          if (r.status !== 201)
            throw new Error(`W7: POST /api/jobs answered ${r.status}: ${r.body}`);
        }
      };
      // A warm-up of 1,000 requests, then the measured run.
      const warm = Math.min(1_000, n);
      next = n - warm;
      await Promise.all(Array.from({ length: s.apiConnections }, lane));
      latencies.length = 0;
      next = 0;
      const t0 = performance.now();
      await Promise.all(Array.from({ length: s.apiConnections }, lane));
      const seconds = (performance.now() - t0) / 1000;
      const report = await child.stop();
      const rssMb = (report.vmHwmBytes ?? report.sampledPeakRssBytes) / 2 ** 20;
      s.log(`  W7: ${n} POSTs in ${seconds.toFixed(2)} s over ${s.apiConnections} connections`);
      return [
        row('W7', 'api_jobs_per_s', round(n / seconds, 0), 'jobs/s', durability, {
          detail: {
            connections: s.apiConnections,
            requests: n,
            requestP50Ms: round(percentile(latencies, 50), 2),
            requestP99Ms: round(percentile(latencies, 99), 2),
            serverPeakRssMb: round(rssMb, 1),
          },
        }),
      ];
    } finally {
      agent.destroy();
      child.kill();
    }
  });
}

export async function w8(s: Settings & HttpSettings, durability: Durability): Promise<Row[]> {
  return withBenchStore(s.store, 'w8', async (store) => {
    const {
      child: server,
      url,
      readyRssMb,
    } = await startServerChild({
      store,
      durability,
      concurrency: s.fanoutConcurrency,
    });
    let clients: Child | undefined;
    const agent = new http.Agent({ keepAlive: true });
    try {
      const created = await post(agent, `${url}/api/batches`, {
        name: 'fan-out',
        jobs: Array.from({ length: s.fanoutJobs }, () => ({
          type: 'bench.fanout',
          params: { reports: s.fanoutReports, everyMs: s.fanoutEveryMs },
        })),
      });
      if (created.status !== 201)
        throw new Error(`W8: POST /api/batches answered ${created.status}: ${created.body}`);
      const batchId = (JSON.parse(created.body) as { id: string }).id;
      const jobIds: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: { id: string }[]; nextCursor: string | null } = await new Promise(
          (resolve, reject) => {
            http
              .get(
                `${url}/api/jobs?batchId=${batchId}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
                { agent },
                (res) => {
                  let text = '';
                  res.setEncoding('utf8');
                  res.on('data', (c: string) => {
                    text += c;
                  });
                  res.on('end', () => resolve(JSON.parse(text)));
                },
              )
              .on('error', reject);
          },
        );
        jobIds.push(...page.items.map((j) => j.id));
        cursor = page.nextCursor;
      } while (cursor !== null);

      clients = new Child('clients', 'sse-clients', {
        url,
        batchId,
        clients: s.fanoutClients,
        jobIds,
        reports: s.fanoutReports,
      });
      await clients.next('ready', 60_000);
      server.send({ type: 'start' });
      const seen = await clients.next('fanout', 180_000);
      const report = await server.stop();
      const sent = new Map(report.progress);
      const R = s.fanoutReports;
      const latencies: number[] = [];
      let missing = 0;
      for (let c = 0; c < s.fanoutClients; c++) {
        for (let j = 0; j < jobIds.length; j++) {
          const times = sent.get(jobIds[j]!);
          if (!times) throw new Error(`W8: no report times for job ${jobIds[j]}`);
          for (let k = 0; k < R; k++) {
            const at = seen.covered[(c * jobIds.length + j) * R + k]!;
            if (at === 0) missing++;
            else latencies.push(at - times[k]!);
          }
        }
      }
      if (missing > 0) throw new Error(`W8: ${missing} reports never reached a client`);
      const rssMb = (report.vmHwmBytes ?? report.sampledPeakRssBytes) / 2 ** 20;
      s.log(
        `  W8: ${latencies.length} deliveries, ${seen.events} events, ${(seen.bytes / 2 ** 20).toFixed(0)} MB to ${s.fanoutClients} clients`,
      );
      const detail = {
        clients: s.fanoutClients,
        jobs: s.fanoutJobs,
        concurrency: s.fanoutConcurrency,
        reportsPerJob: R,
        reportEveryMs: s.fanoutEveryMs,
        deliveries: latencies.length,
        events: seen.events,
        megabytes: round(seen.bytes / 2 ** 20, 1),
        serverReadyRssMb: round(readyRssMb, 1),
      };
      return [
        row('W8', 'fanout_p50_ms', round(percentile(latencies, 50), 2), 'ms', durability, {
          detail,
        }),
        row('W8', 'fanout_p99_ms', round(percentile(latencies, 99), 2), 'ms', durability, {
          detail,
        }),
        row('W8', 'server_peak_rss_mb', round(rssMb, 1), 'MB', durability, { detail }),
      ];
    } finally {
      agent.destroy();
      clients?.kill();
      server.kill();
    }
  });
}
