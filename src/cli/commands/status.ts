import {
  CONNECTION_HELP,
  clientCommand,
  connect,
  JSON_OPTION,
  parseCommand,
  printJson,
} from './common.ts';
import { batchDetails, jobDetails } from './format.ts';
import { findJobOrBatch } from './lookup.ts';

const HELP = `Usage: kiln status <job-or-batch-id> [options]

Shows one job (state, progress, attempts, error, result) or one batch (state, counts,
progress, ETA, usage). Exit code 0 whatever its state; 3 when there is no such id.

Options:
      --json                 Print the job or batch as JSON
${CONNECTION_HELP}
`;

export const status = clientCommand('status', HELP, async (args, io) => {
  const { values, positionals } = parseCommand('status', args, JSON_OPTION, {
    min: 1,
    max: 1,
    names: 'the id: kiln status <job-or-batch-id>',
  });
  const found = await findJobOrBatch(connect(values, io.env), positionals[0]!);
  const value = found.kind === 'job' ? found.job : found.batch;
  if (values.json) printJson(io.out, value);
  else io.out.write(found.kind === 'job' ? jobDetails(found.job) : batchDetails(found.batch));
  return 0;
});
