import {
  CONNECTION_HELP,
  clientCommand,
  connect,
  integerOption,
  JSON_OPTION,
  parseCommand,
  printJson,
  readParams,
  timeOption,
} from './common.ts';

const HELP = `Usage: kiln submit <type> [options]

Enqueues one job of a type the server knows (\`kiln list\` shows jobs; GET
/api/job-types lists the types). Prints the new job's id, or the job with --json.

Options:
      --params <json>        The job's params as a JSON object
  -p, --param <key=value>    One param (repeatable); the value is read as JSON when it
                             parses (3, true, [1,2]), else as text; wins over --params
      --priority <n>         Higher runs first (default 0)
      --run-at <time>        Not before this ISO 8601 time, or after a delay (30s, 5m, 2h)
  -k, --key <key>            Idempotency key: the same key returns the existing job
      --name <label>         A readable label
      --json                 Print the job as JSON
${CONNECTION_HELP}
`;

const OPTIONS = {
  params: { type: 'string' },
  param: { type: 'string', short: 'p', multiple: true },
  priority: { type: 'string' },
  'run-at': { type: 'string' },
  key: { type: 'string', short: 'k' },
  name: { type: 'string' },
  ...JSON_OPTION,
} as const;

export const submit = clientCommand('submit', HELP, async (args, io) => {
  const { values, positionals } = parseCommand('submit', args, OPTIONS, {
    min: 1,
    max: 1,
    names: 'the job type: kiln submit <type>',
  });
  const priority = integerOption('submit', 'priority', values.priority);
  const runAt = timeOption('submit', values['run-at']);
  const client = connect(values, io.env);
  const job = await client.jobs.submit({
    type: positionals[0]!,
    params: readParams('submit', values.params, values.param) ?? {},
    ...(priority === undefined ? {} : { priority }),
    ...(runAt === undefined ? {} : { runAt }),
    ...(values.key === undefined ? {} : { idempotencyKey: values.key }),
    ...(values.name === undefined ? {} : { name: values.name }),
  });
  if (values.json) printJson(io.out, job);
  else io.out.write(`${job.id}\n`);
  return 0;
});
