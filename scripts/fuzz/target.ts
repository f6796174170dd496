/**
 * What the fuzzer aims at: a store of its own and one real `kiln serve` process on it
 * (token auth, Kiln's demo job types and templates, no embedded worker so that nothing
 * changes the store but the requests themselves), started through the CLI as a user
 * would start it. The fuzzer also opens the store itself, to take digests of it.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/store.ts';
import { newTestStore, type TestStore } from '../../test/support/stores.ts';
import { freePort, logEvent } from '../chaos/cluster.ts';
import { type Proc, spawnNode, stop } from '../shared/processes.ts';

const KILN = fileURLToPath(new URL('../../bin/kiln.ts', import.meta.url));
const START_TIMEOUT_MS = 60_000;

export interface Target {
  url: string;
  token: string;
  storeUrl: string;
  /** The store's working folder: the CLI cases run in a folder inside it. */
  dir: string;
  server: Proc;
  /** The fuzzer's own connection to the store, for digests. */
  store: Store;
  /** Everything the server wrote on stderr (its JSON log), for the token check. */
  serverLog: string[];
  /** Stops the server and closes the store; removes the store unless `keep`. */
  close(keep: boolean): Promise<void>;
}

export async function startTarget(kind: 'sqlite' | 'postgres'): Promise<Target> {
  const test: TestStore = newTestStore(kind);
  // Long and random, so that a leak of it into a log or a body is unmistakable.
  const token = `fuzz-${randomBytes(18).toString('base64url')}`;
  const port = await freePort();
  const server = spawnNode(
    'server',
    `kiln_fuzz_${process.pid}`,
    [KILN, 'serve', '--store', test.url, '--port', String(port), '--no-worker'],
    // The token by environment, as the docs advise (it stays out of `ps`).
    { KILN_TOKEN: token },
  );
  const serverLog: string[] = [];
  server.child.stderr!.on('data', (d: Buffer) => serverLog.push(d.toString()));
  let store: Store | undefined;
  try {
    await server.waitLine(
      (l) => logEvent(l)?.event === 'server:start',
      START_TIMEOUT_MS,
      'server:start',
    );
    store = openStore(test.url);
  } catch (error) {
    await stop(server);
    await test.cleanup();
    throw error;
  }
  const opened = store;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    storeUrl: test.url,
    dir: test.dir,
    server,
    store: opened,
    serverLog,
    async close(keep) {
      await stop(server);
      await opened.close();
      if (!keep) await test.cleanup();
    },
  };
}
