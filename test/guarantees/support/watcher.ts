/**
 * A change-feed follower in its own process: `node watcher.ts <storeUrl> <from seq> [trace]`.
 * Prints `{"ready":true}` once following, then one JSON line per job event:
 * {seq, id, state, attempt, progress, message}. With `trace`, every read of the feed
 * that fails is printed too, as {"feedError": message}, before the watch goes on with it.
 */
import { writeSync } from 'node:fs';
import { Kiln, openStore } from '../../../src/index.ts';

const [url, from, trace] = process.argv.slice(2);
const print = (value: unknown) => writeSync(1, `${JSON.stringify(value)}\n`);
const store = openStore(url!);
if (trace === 'trace') {
  const changesSince = store.changesSince.bind(store);
  store.changesSince = async (...args) => {
    try {
      return await changesSince(...args);
    } catch (error) {
      print({ feedError: (error as Error).message });
      throw error;
    }
  };
}
const kiln = await Kiln.open({ store });
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
