/**
 * A server process for W7 and W8: the HTTP API and event stream on a free port, as
 * `kiln serve` runs them, and (W8) an embedded worker started on `start`. Reports its
 * peak RSS and the handlers' progress times on `stop`. argv[2] is a ServerConfig.
 */
import { Kiln, type Worker } from '../../src/index.ts';
import { startServer } from '../../src/server/server.ts';
import { allJobs, sinks } from './jobs.ts';
import type { ChildMessage, ParentMessage, ServerConfig } from './protocol.ts';
import { startRssSampler, vmHwmBytes } from './rss.ts';

const config = JSON.parse(process.argv[2] ?? '{}') as ServerConfig;
const send = (m: ChildMessage, then?: () => void): void => {
  process.send?.(m, undefined, {}, then);
};
process.on('disconnect', () => process.exit(0));

const rss = startRssSampler(10);
const kiln = await Kiln.open({ store: config.store, durability: config.durability, jobs: allJobs });
const server = await startServer({ kiln, port: 0, log: () => {} });
let worker: Worker | undefined;
let workerErrors = 0;
let firstError: string | null = null;

process.on('message', (m: ParentMessage) => {
  if (m.type === 'start' && config.concurrency !== undefined) {
    worker = kiln.work({ concurrency: config.concurrency });
    worker.events.on('error', ({ error }) => {
      workerErrors++;
      firstError ??= String((error as Error)?.stack ?? error);
    });
  } else if (m.type === 'stop') {
    (async () => {
      await server.close();
      await kiln.close();
      rss.stop();
      send(
        {
          type: 'report',
          latency: [],
          progress: [...sinks.progress],
          observations: [],
          sampledPeakRssBytes: rss.peak(),
          vmHwmBytes: vmHwmBytes(),
          workerErrors,
          firstError,
          cpu: process.cpuUsage(),
        },
        () => process.exit(0),
      );
    })().catch((error: unknown) => {
      send({ type: 'error', message: String((error as Error)?.stack ?? error) });
      process.exit(1);
    });
  }
});

send({ type: 'ready', pid: process.pid, rssBytes: process.memoryUsage.rss(), url: server.url });
