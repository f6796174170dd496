/**
 * A watcher process for W4: follows the change feed with kiln.watch() and records when
 * it saw each job change, until `expect` jobs were seen completed (or `stop` arrives).
 * argv[2] is a WatcherConfig.
 */
import { Kiln } from '../../src/index.ts';
import { nowMs } from './jobs.ts';
import type { ChildMessage, Observation, ParentMessage, WatcherConfig } from './protocol.ts';
import { startRssSampler, vmHwmBytes } from './rss.ts';

const config = JSON.parse(process.argv[2] ?? '{}') as WatcherConfig;
const send = (m: ChildMessage, then?: () => void): void => {
  process.send?.(m, undefined, {}, then);
};
process.on('disconnect', () => process.exit(0));

const rss = startRssSampler(10);
const kiln = await Kiln.open({ store: config.store, durability: config.durability });
const observations: Observation[] = [];
const completed = new Set<string>();
const controller = new AbortController();

process.on('message', (m: ParentMessage) => {
  if (m.type === 'stop') controller.abort();
});

// From 'start': the jobs were enqueued before this process opened the store, so no
// change after that can be missed between opening and the first read.
const watching = (async () => {
  for await (const event of kiln.watch({ from: 'start', signal: controller.signal })) {
    if (event.kind !== 'job') continue;
    const job = event.job;
    observations.push([job.id, job.attempt, job.progress, job.state, nowMs()]);
    if (job.state === 'completed') {
      completed.add(job.id);
      if (completed.size >= config.expect) controller.abort();
    }
  }
})();

send({ type: 'ready', pid: process.pid, rssBytes: process.memoryUsage.rss() });
await watching;
await kiln.close();
rss.stop();
send(
  {
    type: 'report',
    latency: [],
    progress: [],
    observations,
    sampledPeakRssBytes: rss.peak(),
    vmHwmBytes: vmHwmBytes(),
    workerErrors: 0,
    firstError: null,
    cpu: process.cpuUsage(),
  },
  () => process.exit(0),
);
