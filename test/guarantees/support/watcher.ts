/**
 * A change-feed follower in its own process: `node watcher.ts <storeUrl> <from seq>`.
 * Prints `{"ready":true}` once following, then one JSON line per job event:
 * {seq, id, state, attempt, progress, message}.
 */
import { writeSync } from 'node:fs';
import { Kiln } from '../../../src/index.ts';

const [url, from] = process.argv.slice(2);
const kiln = await Kiln.open({ store: url! });
const print = (value: unknown) => writeSync(1, `${JSON.stringify(value)}\n`);
print({ ready: true, pid: process.pid });
for await (const e of kiln.watch({ from: Number(from) })) {
  if (e.kind !== 'job') continue;
  const j = e.job;
  print({
    seq: e.seq,
    id: j.id,
    state: j.state,
    attempt: j.attempt,
    progress: j.progress,
    message: j.progressMessage,
  });
}
