import { actionHelp, parseOneId } from './action-help.ts';
import { clientCommand, connect, printJson } from './common.ts';
import { batchLine, jobLine } from './format.ts';
import { findJobOrBatch } from './lookup.ts';

const HELP = actionHelp(
  'retry <job-or-batch-id>',
  'Retries a failed or cancelled job with a fresh attempt budget, or every failed\njob of a batch.',
);

export const retry = clientCommand('retry', HELP, async (args, io) => {
  const { values, positionals } = parseOneId('retry', args);
  const client = connect(values, io.env);
  const found = await findJobOrBatch(client, positionals[0]!);
  if (found.kind === 'job') {
    const job = await client.jobs.retry(found.job.id);
    if (values.json) printJson(io.out, job);
    else io.out.write(`${jobLine(job)}\n`);
  } else {
    const batch = await client.batches.act(found.batch.id, 'retry-failed');
    if (values.json) printJson(io.out, batch);
    else io.out.write(`${batchLine(batch)}\n`);
  }
  return 0;
});
