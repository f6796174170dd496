import { actionHelp, parseOneId } from './action-help.ts';
import { clientCommand, connect, printJson } from './common.ts';
import { batchLine } from './format.ts';

const HELP = actionHelp(
  'pause <batch-id>',
  'Pauses a batch: its pending jobs are not started until `kiln resume`; running\njobs finish.',
);

export const pause = clientCommand('pause', HELP, async (args, io) => {
  const { values, positionals } = parseOneId('pause', args);
  const batch = await connect(values, io.env).batches.act(positionals[0]!, 'pause');
  if (values.json) printJson(io.out, batch);
  else io.out.write(`${batchLine(batch)}\n`);
  return 0;
});
