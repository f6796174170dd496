/**
 * A child process serving only the batch export on a store, for measuring the server's
 * memory apart from the test's (export-memory.test.ts). Prints `{ url, pid }` once ready.
 */
import { Kiln } from '../../src/index.ts';
import { exportServer } from './export-support.ts';

const kiln = await Kiln.open({ store: process.argv[2]! });
const server = await exportServer(kiln);
console.log(JSON.stringify({ url: server.url, pid: process.pid }));
process.on('SIGTERM', () => {
  void server.close().then(() => kiln.close());
});
