/** What the one-id actions (cancel, retry, pause, resume) share: their help and parsing. */
import type { KilnClient } from '../client/api.ts';
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

export const actionHelp = (usage: string, what: string) => `Usage: kiln ${usage} [options]

${what}
Prints what it left the job or batch in (the object with --json). Exit code 1 when
its state does not allow the action (INVALID_TRANSITION), 3 when there is no such id.

Options:
      --json                 Print the job or batch as JSON
${CONNECTION_HELP}
`;

export const parseOneId = (command: string, args: string[]) =>
  parseCommand(command, args, JSON_OPTION, {
    min: 1,
    max: 1,
    names: `the id: kiln ${command} <id>`,
  });

/**
 * An action on a job or on a batch, whichever the id names (cancel, retry): the job's
 * action for a job, the batch's for a batch; prints what it left it in.
 */
export function jobOrBatchAction(
  command: 'cancel' | 'retry',
  help: string,
  batchAction: 'cancel' | 'retry-failed',
) {
  return clientCommand(command, help, async (args, io) => {
    const { values, positionals } = parseOneId(command, args);
    const client: KilnClient = connect(values, io.env);
    const found = await findJobOrBatch(client, positionals[0]!);
    if (found.kind === 'job') {
      const job = await client.jobs[command](found.job.id);
      if (values.json) printJson(io.out, job);
      else io.out.write(`${jobLine(job)}\n`);
    } else {
      const batch = await client.batches.act(found.batch.id, batchAction);
      if (values.json) printJson(io.out, batch);
      else io.out.write(`${batchLine(batch)}\n`);
    }
    return 0;
  });
}
