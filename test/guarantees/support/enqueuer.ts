/**
 * Enqueues until killed: `node enqueuer.ts <storeUrl> one|many`.
 * 'one': `kiln.enqueue` in a loop; each id is printed right after the call returns.
 * 'many': `kiln.enqueueMany` of 50 jobs (params.value = `k:i`) in a loop; after each
 * returns, prints `<k> <id> <id> …`. Lines are written synchronously, so a printed id
 * is one the process had been told was stored.
 */
import { writeSync } from 'node:fs';
import { type EnqueueItem, Kiln } from '../../../src/index.ts';
import { guaranteeJobs } from './jobs.ts';

export const PER_BATCH = 50;
const [url, mode] = process.argv.slice(2);
const kiln = await Kiln.open({ store: url!, jobs: guaranteeJobs });
writeSync(1, `${JSON.stringify({ ready: true, pid: process.pid })}\n`);
for (let k = 0; ; k++) {
  if (mode === 'one') {
    const job = await kiln.enqueue('test', { value: k });
    writeSync(1, `${job.id}\n`);
  } else {
    const items: EnqueueItem[] = Array.from({ length: PER_BATCH }, (_, i) => ({
      job: 'test',
      params: { value: `${k}:${i}` },
    }));
    const ids = (await kiln.enqueueMany(items)).map((r) => r.id);
    writeSync(1, `${k} ${ids.join(' ')}\n`);
  }
}
