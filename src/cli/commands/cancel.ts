import { actionHelp, parseOneId } from './action-help.ts';
import { clientCommand, connect, printJson } from './common.ts';
import { batchLine, jobLine } from './format.ts';
import { findJobOrBatch } from './lookup.ts';

const HELP = actionHelp(
  'cancel <job-or-batch-id>',
  'Cancels a pending or running job (a running handler is signalled), or every\nunfinished job of a batch.',
);

export const cancel = clientCommand('cancel', HELP, async (args, io) => {
  const { values, positionals } = parseOneId('cancel', args);
  const client = connect(values, io.env);
  const found = await findJobOrBatch(client, positionals[0]!);
  if (found.kind === 'job') {
    const job = await client.jobs.cancel(found.job.id);
    if (values.json) printJson(io.out, job);
    else io.out.write(`${jobLine(job)}\n`);
  } else {
    const batch = await client.batches.act(found.batch.id, 'cancel');
    if (values.json) printJson(io.out, batch);
    else io.out.write(`${batchLine(batch)}\n`);
  }
  return 0;
});
