/** `cancel`, `retry`, `pause`, `resume`: one action on a job or a batch, one line out. */
import {
  CONNECTION_HELP,
  clientCommand,
  connect,
  JSON_OPTION,
  parseCommand,
  printJson,
} from './common.ts';
import { batchLine, jobLine } from './format.ts';
import { findJobOrBatch } from './lookup.ts';

const help = (usage: string, what: string) => `Usage: kiln ${usage} [options]

${what}
Prints what it left the job or batch in (the object with --json). Exit code 1 when
its state does not allow the action (INVALID_TRANSITION), 3 when there is no such id.

Options:
      --json                 Print the job or batch as JSON
${CONNECTION_HELP}
`;

const one = (command: string, args: string[]) =>
  parseCommand(command, args, JSON_OPTION, {
    min: 1,
    max: 1,
    names: `the id: kiln ${command} <id>`,
  });

export const cancel = clientCommand(
  'cancel',
  help(
    'cancel <job-or-batch-id>',
    'Cancels a pending or running job (a running handler is signalled), or every\nunfinished job of a batch.',
  ),
  async (args, io) => {
    const { values, positionals } = one('cancel', args);
    const client = connect(values, io.env);
    const found = await findJobOrBatch(client, positionals[0]!);
    if (found.kind === 'job') {
      const job = await client.jobs.cancel(found.job.id);
      io.out.write(values.json ? `${JSON.stringify(job)}\n` : `${jobLine(job)}\n`);
    } else {
      const b = await client.batches.act(found.batch.id, 'cancel');
      io.out.write(values.json ? `${JSON.stringify(b)}\n` : `${batchLine(b)}\n`);
    }
    return 0;
  },
);

export const retry = clientCommand(
  'retry',
  help(
    'retry <job-or-batch-id>',
    'Retries a failed or cancelled job with a fresh attempt budget, or every failed\njob of a batch.',
  ),
  async (args, io) => {
    const { values, positionals } = one('retry', args);
    const client = connect(values, io.env);
    const found = await findJobOrBatch(client, positionals[0]!);
    if (found.kind === 'job') {
      const job = await client.jobs.retry(found.job.id);
      io.out.write(values.json ? `${JSON.stringify(job)}\n` : `${jobLine(job)}\n`);
    } else {
      const b = await client.batches.act(found.batch.id, 'retry-failed');
      io.out.write(values.json ? `${JSON.stringify(b)}\n` : `${batchLine(b)}\n`);
    }
    return 0;
  },
);

const batchAction = (action: 'pause' | 'resume', what: string) =>
  clientCommand(action, help(`${action} <batch-id>`, what), async (args, io) => {
    const { values, positionals } = one(action, args);
    const b = await connect(values, io.env).batches.act(positionals[0]!, action);
    if (values.json) printJson(io.out, b);
    else io.out.write(`${batchLine(b)}\n`);
    return 0;
  });

export const pause = batchAction(
  'pause',
  'Pauses a batch: its pending jobs are not started until `kiln resume`; running\njobs finish.',
);
export const resume = batchAction('resume', 'Resumes a paused batch.');
