import type { CreateBatchBody } from '../client/index.ts';
import { UsageError } from '../usage.ts';
import { readJobsFile } from './batch-file.ts';
import {
  CONNECTION_HELP,
  clientCommand,
  connect,
  integerOption,
  JSON_OPTION,
  looseValue,
  parseCommand,
  printJson,
  readParams,
  timeOption,
} from './common.ts';

const HELP = `Usage: kiln batch create (--template <name> [grid] | --file <jobs.json|jobs.csv>) [options]

Creates a batch and prints its id (the batch as JSON with --json). Follow it with
\`kiln watch <id>\`.

From a template (GET /api/templates), one job per cell of its grid:
  -t, --template <name>      The template
      --grid <json>          A grid replacing the template's: {"subject":["math","art"]}
  -a, --axis <key=v1,v2>     One grid axis (repeatable), e.g. --axis subject=math,art;
                             values read as JSON when they parse (1,2 are numbers)
      --params <json>        Params over the template's
  -p, --param <key=value>    One param over the template's (repeatable)

From a file:
  -f, --file <path>          .json: an array of {type, params, name?, priority?} (or an
                             object with \`jobs\` and batch fields); .csv: a header row,
                             columns type, name, priority, and one column per param
      --type <type>          The job type for rows without one

Options:
      --name <name>          The batch's name (default: the template's)
      --webhook <url>        POSTed a signed summary when the batch ends
      --priority <n>         Priority of every job (higher runs first)
      --concurrency <n>      At most n of its jobs run at once, over every worker
      --run-at <time>        Not before this ISO 8601 time, or after a delay (30s, 5m)
      --json                 Print the batch as JSON
${CONNECTION_HELP}
`;

const OPTIONS = {
  template: { type: 'string', short: 't' },
  grid: { type: 'string' },
  axis: { type: 'string', short: 'a', multiple: true },
  params: { type: 'string' },
  param: { type: 'string', short: 'p', multiple: true },
  file: { type: 'string', short: 'f' },
  type: { type: 'string' },
  name: { type: 'string' },
  webhook: { type: 'string' },
  priority: { type: 'string' },
  concurrency: { type: 'string' },
  'run-at': { type: 'string' },
  ...JSON_OPTION,
} as const;

export const batch = clientCommand('batch', HELP, async (args, io) => {
  const { values, positionals } = parseCommand('batch', args, OPTIONS, {
    min: 1,
    max: 1,
    names: 'a subcommand: kiln batch create …',
  });
  if (positionals[0] !== 'create') {
    throw new UsageError(
      `unknown subcommand \`batch ${positionals[0]}\`; try batch create`,
      'batch',
    );
  }
  const priority = integerOption('batch', 'priority', values.priority);
  const concurrency = integerOption('batch', 'concurrency', values.concurrency);
  if (concurrency !== undefined && concurrency < 1) {
    throw new UsageError('--concurrency must be an integer >= 1', 'batch');
  }
  const runAt = timeOption('batch', values['run-at']);
  const common = {
    ...(values.name === undefined ? {} : { name: values.name }),
    ...(values.webhook === undefined ? {} : { webhook: values.webhook }),
    ...(priority === undefined ? {} : { priority }),
    ...(concurrency === undefined ? {} : { concurrency }),
    ...(runAt === undefined ? {} : { runAt }),
  };
  let body: CreateBatchBody;
  if (values.template !== undefined) {
    if (values.file !== undefined) throw new UsageError('--template or --file, not both', 'batch');
    const grid = readGrid(values.grid, values.axis);
    const params = readParams('batch', values.params, values.param);
    body = {
      template: values.template,
      ...(grid ? { grid } : {}),
      ...(params ? { params } : {}),
      ...common,
    };
  } else if (values.file !== undefined) {
    if (values.grid ?? values.axis ?? values.params ?? values.param) {
      throw new UsageError('--grid, --axis and --param go with --template, not --file', 'batch');
    }
    const { jobs, batch: fields } = readJobsFile(values.file, values.type);
    body = { ...fields, ...common, jobs } as CreateBatchBody;
  } else {
    throw new UsageError('kiln batch create needs --template <name> or --file <path>', 'batch');
  }
  const client = connect(values, io.env);
  const created = await client.batches.create(body);
  if (values.json) printJson(io.out, created);
  else {
    io.out.write(`${created.id}\n`);
    const n = created.counts.total;
    io.err.write(`batch ${created.name}: ${n} job${n === 1 ? '' : 's'}, ${created.state}\n`);
  }
  return 0;
});

/** `--grid JSON`, or the axes given one by one with `--axis key=v1,v2`. */
function readGrid(json: string | undefined, axes: string[] | undefined) {
  if (json !== undefined && axes !== undefined) {
    throw new UsageError('--grid or --axis, not both', 'batch');
  }
  if (json !== undefined) {
    let grid: unknown;
    try {
      grid = JSON.parse(json);
    } catch (error) {
      throw new UsageError(`--grid is not JSON: ${(error as Error).message}`, 'batch');
    }
    if (typeof grid !== 'object' || grid === null || Array.isArray(grid)) {
      throw new UsageError('--grid must be a JSON object of arrays', 'batch');
    }
    return grid as Record<string, unknown[]>;
  }
  if (axes === undefined) return undefined;
  const grid: Record<string, unknown[]> = {};
  for (const axis of axes) {
    const eq = axis.indexOf('=');
    if (eq <= 0 || eq === axis.length - 1) {
      throw new UsageError(`--axis takes key=v1,v2,…, got \`${axis}\``, 'batch');
    }
    grid[axis.slice(0, eq)] = axis
      .slice(eq + 1)
      .split(',')
      .map((v) => looseValue(v.trim()));
  }
  return grid;
}
