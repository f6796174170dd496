import { actionHelp, parseOneId } from './action-help.ts';
import { clientCommand, connect, printJson } from './common.ts';
import { batchLine } from './format.ts';

const HELP = actionHelp('resume <batch-id>', 'Resumes a paused batch.');

export const resume = clientCommand('resume', HELP, async (args, io) => {
  const { values, positionals } = parseOneId('resume', args);
  const batch = await connect(values, io.env).batches.act(positionals[0]!, 'resume');
  if (values.json) printJson(io.out, batch);
  else io.out.write(`${batchLine(batch)}\n`);
  return 0;
});
