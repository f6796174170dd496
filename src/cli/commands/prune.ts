import {
  CONNECTION_HELP,
  clientCommand,
  connect,
  JSON_OPTION,
  parseCommand,
  printJson,
} from './common.ts';

const HELP = `Usage: kiln prune [options]

Deletes now what retention has expired (jobs past their retention, with their logs
and files; batches left without jobs) instead of waiting for a worker's next sweep.
Nothing younger than its retention is touched.

Options:
      --json                 Print the counts as JSON: { jobs, batches }
${CONNECTION_HELP}
`;

export const prune = clientCommand('prune', HELP, async (args, io) => {
  const { values } = parseCommand('prune', args, JSON_OPTION, { min: 0, max: 0, names: '' });
  const pruned = await connect(values, io.env).prune();
  if (values.json) printJson(io.out, pruned);
  else io.out.write(`pruned ${pruned.jobs} jobs and ${pruned.batches} batches\n`);
  return 0;
});
