/**
 * W8's clients: `clients` event streams of one batch in this process, over node:http.
 * Each frame is scanned, not parsed as a whole, so that 100 clients in one process cost
 * little next to the server they measure. Says `ready` when every client has its
 * snapshot, and sends what it saw once every client saw every job complete.
 */
import http from 'node:http';
import { nowMs } from './clock.ts';
import type { ChildMessage, FanoutConfig } from './protocol.ts';

const config = JSON.parse(process.argv[2] ?? '{}') as FanoutConfig;
const send = (m: ChildMessage, then?: () => void): void => {
  process.send?.(m, undefined, {}, then);
};
process.on('disconnect', () => process.exit(0));

const index = new Map(config.jobIds.map((id, i) => [id, i]));
const jobs = config.jobIds.length;
const R = config.reports;
const covered = new Float64Array(config.clients * jobs * R);
let events = 0;
let bytes = 0;
let readyClients = 0;
let doneClients = 0;
const agent = new http.Agent({ keepAlive: true, maxSockets: config.clients });
const ID = /"id":"([^"]+)"/;
const MESSAGE = /"progressMessage":"(\d+)"/;
const STATE = /"state":"(\w+)"/;

function follow(client: number): void {
  const seenReport = new Int32Array(jobs);
  const done = new Uint8Array(jobs);
  let completed = 0;
  let snapshot = false;
  let buffer = '';
  const req = http.get(`${config.url}/api/events?batchId=${config.batchId}`, { agent }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      const at = nowMs();
      bytes += chunk.length;
      buffer += chunk;
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
        if (block.includes('event: snapshot')) {
          snapshot = true;
          if (++readyClients === config.clients)
            send({ type: 'ready', pid: process.pid, rssBytes: 0 });
          continue;
        }
        if (!block.includes('event: job')) continue;
        events++;
        if (!snapshot) continue;
        const j = index.get(ID.exec(block)?.[1] ?? '');
        if (j === undefined) continue;
        const report = Number(MESSAGE.exec(block)?.[1] ?? 0);
        const base = (client * jobs + j) * R;
        for (let k = seenReport[j]!; k < report; k++) covered[base + k] = at;
        if (report > seenReport[j]!) seenReport[j] = report;
        if (done[j] === 0 && STATE.exec(block)?.[1] === 'completed') {
          done[j] = 1;
          if (++completed === jobs) {
            req.destroy();
            if (++doneClients === config.clients) {
              send({ type: 'fanout', covered, events, bytes }, () => process.exit(0));
            }
          }
        }
      }
    });
  });
  req.on('error', (error) => {
    if (completed < jobs) send({ type: 'error', message: `client ${client}: ${error.message}` });
  });
}

for (let c = 0; c < config.clients; c++) follow(c);
