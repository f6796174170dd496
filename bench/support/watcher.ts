/**
 * A watcher process for W4: follows the change feed with kiln.watch() and records when
 * it saw each job change, until `expect` jobs were seen completed (or `stop` arrives).
 * argv[2] is a WatcherConfig.
 */
import { Kiln } from '../../src/index.ts';
import { nowMs } from './clock.ts';
import type { ChildMessage, Observation, ParentMessage, WatcherConfig } from './protocol.ts';
import { startRssSampler, vmHwmBytes } from './rss.ts';

const config = JSON.parse(process.argv[2] ?? '{}') as WatcherConfig;
const send = (m: ChildMessage, then?: () => void): void => {
  process.send?.(m, undefined, {}, then);
};
process.on('disconnect', () => process.exit(0));

const rss = startRssSampler(10);
const kiln = await Kiln.open({ store: config.store, durability: config.durability });
// Observations are kept as columns of numbers, not one small array each: tens of
// thousands of live arrays grew the old generation, and its collections paused this
// process in the middle of what it measures.
const ids = new Map<string, number>();
const idList: string[] = [];
const states = new Map<string, number>();
const stateList: string[] = [];
const columns = {
  id: [] as number[],
  attempt: [] as number[],
  progress: [] as number[],
  state: [] as number[],
  at: [] as number[],
};
const code = (map: Map<string, number>, list: string[], key: string): number => {
  let c = map.get(key);
  if (c === undefined) {
    c = list.length;
    map.set(key, c);
    list.push(key);
  }
  return c;
};
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
    columns.at.push(nowMs());
    columns.id.push(code(ids, idList, job.id));
    columns.attempt.push(job.attempt);
    columns.progress.push(job.progress);
    columns.state.push(code(states, stateList, job.state));
    if (job.state === 'completed' && !completed.has(job.id)) {
      completed.add(job.id);
      if (config.roundSize && completed.size % config.roundSize === 0)
        send({ type: 'seen', completed: completed.size });
      if (completed.size >= config.expect) controller.abort();
    }
  }
})();

send({ type: 'ready', pid: process.pid, rssBytes: process.memoryUsage.rss() });
await watching;
await kiln.close();
rss.stop();
const observations: Observation[] = columns.at.map((at, i) => [
  idList[columns.id[i]!]!,
  columns.attempt[i]!,
  columns.progress[i]!,
  stateList[columns.state[i]!]!,
  at,
]);
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
