/**
 * Single enqueues over HTTP all through the chaos, from a process of its own:
 * `node enqueuer.ts <baseUrl> <seed> <meanMs> <everyMs>`.
 *
 * Each enqueue has an idempotency key, and is sent again with the same key when the
 * request fails (the server was killed before it answered, or is restarting), until it
 * is answered or 30 s have passed. An enqueue counts as acknowledged only when the
 * server answered 201 (or 200: the key matched, an earlier try had landed). The line
 * `{"ack":k,"id":…}` is written with writeSync right after the answer, so every id the
 * harness checks was acknowledged, and none it misses was.
 */
import { writeSync } from 'node:fs';
import { HttpConnection } from '../../src/cli/client/http.ts';
import { CHAOS_TYPE } from './chaos-job.ts';
import { enqueueParams } from './plan.ts';

const [baseUrl, seedArg, meanArg, everyArg] = process.argv.slice(2);
const seed = Number(seedArg);
const connection = new HttpConnection({ url: baseUrl! });
const print = (value: unknown) => writeSync(1, `${JSON.stringify(value)}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let stopping = false;
process.once('SIGTERM', () => {
  stopping = true;
});

print({ ready: true, pid: process.pid });
for (let k = 0; !stopping; k++) {
  const body = {
    type: CHAOS_TYPE,
    params: enqueueParams(seed, k, Number(meanArg)),
    idempotencyKey: `chaos-${seed}-${k}`,
  };
  const first = Date.now();
  let tries = 0;
  for (;;) {
    tries++;
    try {
      const job = await connection.json<{ id: string }>('POST', '/api/jobs', {
        body,
        signal: AbortSignal.timeout(10_000),
      });
      print({ ack: k, id: job.id, tries });
      break;
    } catch (error) {
      if (Date.now() - first > 30_000) {
        print({ gaveUp: k, error: String(error) });
        break;
      }
      await sleep(200);
    }
  }
  await sleep(Number(everyArg));
}
process.exit(0);
