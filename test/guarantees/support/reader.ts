/**
 * Hammers one job with reads from its own process: `node reader.ts <storeUrl> <jobId> <expected.json>`.
 * Prints `{"ready":true}`, reads `kiln.jobs.get` in a tight loop until it has seen the
 * job completed (and `after` reads more), then prints one summary line.
 */
import { readFileSync, writeSync } from 'node:fs';
import { type Job, Kiln } from '../../../src/index.ts';
import { checkRead, type Expected } from './consistency.ts';

const [url, jobId, expectedFile] = process.argv.slice(2);
const expected = JSON.parse(readFileSync(expectedFile!, 'utf8')) as Expected;
const kiln = await Kiln.open({ store: url! });
const print = (value: unknown) => writeSync(1, `${JSON.stringify(value)}\n`);
print({ ready: true, pid: process.pid });

const deadline = Date.now() + 60_000;
let reads = 0;
let after = -1;
const violations: string[] = [];
const progressSeen = new Set<number>();
const states: Record<string, number> = {};
let before: Job | null = null;
while (after < 200 && Date.now() < deadline) {
  let job: Job | null;
  try {
    job = await kiln.jobs.get(jobId!);
  } catch (error) {
    violations.push(`read threw: ${String(error)}`);
    continue;
  }
  reads++;
  const problem = checkRead(job, expected, before);
  if (problem && violations.length < 10) violations.push(problem);
  if (job) {
    states[job.state] = (states[job.state] ?? 0) + 1;
    if (job.state === 'running') progressSeen.add(job.progress);
    if (job.state === 'completed' && after < 0) after = 0;
  }
  if (after >= 0) after++;
  before = job;
}
print({ done: true, reads, violations, states, distinctProgress: progressSeen.size });
