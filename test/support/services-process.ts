/**
 * A child process running Kiln's background services on a store, for the webhook and
 * schedule tests: `node services-process.ts <store url> <options JSON>`. Options:
 * `{ webhooks?: DispatcherOptions | false, schedules?: SchedulerOptions, secret? }`.
 * Prints `{"pid":…}` once started and its services' log lines (JSON) after it.
 */
import { Kiln } from '../../src/index.ts';
import { startScheduler, startServices } from '../../src/services/index.ts';
import type { DispatcherOptions } from '../../src/webhooks/dispatcher.ts';
import { testJobs } from './test-jobs.ts';

const [url, json = '{}'] = process.argv.slice(2);
const options = JSON.parse(json) as {
  webhooks?: Record<string, unknown> | false;
  schedules?: Record<string, unknown>;
  secret?: string;
};
const kiln = await Kiln.open({
  store: url!,
  jobs: testJobs,
  allowPrivateWebhooks: true,
  ...(options.secret ? { webhookSecret: options.secret } : {}),
});
const log = (level: string, event: string, fields: Record<string, unknown> = {}) =>
  process.stdout.write(`${JSON.stringify({ level, event, ...fields })}\n`);
const services =
  options.webhooks === false
    ? startScheduler({ kiln, log }, options.schedules)
    : startServices(
        { kiln, log },
        { webhooks: options.webhooks as DispatcherOptions, schedules: options.schedules },
      );
process.stdout.write(`${JSON.stringify({ pid: process.pid })}\n`);
process.on('SIGTERM', async () => {
  await services.stop();
  await kiln.close();
  process.exit(0);
});
