/**
 * A worker as a process of its own, for tests: `node worker-process.ts <storeUrl> [options JSON]`.
 * Prints one JSON line `{"ready":true,"pid":…,"id":…}` once it runs; stops gracefully on SIGTERM.
 */
import { Kiln, type WorkerOptions } from '../../src/index.ts';
import { testJobs } from './test-jobs.ts';

const [url, json] = process.argv.slice(2);
const options = (json ? JSON.parse(json) : {}) as WorkerOptions;
const kiln = await Kiln.open({ store: url!, jobs: testJobs });
const worker = kiln.work({ concurrency: 10, ...options });
worker.events.on('error', ({ error }) => console.error('worker error', error));
process.once('SIGTERM', () => {
  void kiln.close().then(() => process.exit(0));
});
console.log(JSON.stringify({ ready: true, pid: process.pid, id: worker.id }));
