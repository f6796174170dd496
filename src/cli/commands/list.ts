import { UsageError } from '../usage.ts';
import {
  CONNECTION_HELP,
  clientCommand,
  connect,
  integerOption,
  JSON_OPTION,
  parseCommand,
  printJson,
} from './common.ts';
import { batchesTable, jobsTable } from './format.ts';

const HELP = `Usage: kiln list [jobs|batches] [options]

Lists jobs (the default) or batches, newest first, one page at a time. When there is
more, the command to get the next page is printed on stderr.

Options:
  -s, --state <a,b>          Jobs in these states (pending, running, completed, failed,
                             cancelled)
  -t, --type <type>          Jobs of this type
  -b, --batch <id>           Jobs of this batch
  -n, --limit <n>            At most n (1-1000; default 100)
      --cursor <cursor>      The next page, from an earlier list
      --json                 Print the page as JSON: { items, nextCursor }
${CONNECTION_HELP}
`;

const OPTIONS = {
  state: { type: 'string', short: 's' },
  type: { type: 'string', short: 't' },
  batch: { type: 'string', short: 'b' },
  limit: { type: 'string', short: 'n' },
  cursor: { type: 'string' },
  ...JSON_OPTION,
} as const;

export const list = clientCommand('list', HELP, async (args, io) => {
  const { values, positionals } = parseCommand('list', args, OPTIONS, {
    min: 0,
    max: 1,
    names: '',
  });
  const what = positionals[0] ?? 'jobs';
  if (what !== 'jobs' && what !== 'batches') {
    throw new UsageError(`kiln list takes jobs or batches, got \`${what}\``, 'list');
  }
  const limit = integerOption('list', 'limit', values.limit);
  const paging = {
    ...(limit === undefined ? {} : { limit }),
    ...(values.cursor === undefined ? {} : { cursor: values.cursor }),
  };
  const client = connect(values, io.env);
  let nextCursor: string | null;
  if (what === 'batches') {
    if (values.state ?? values.type ?? values.batch) {
      throw new UsageError('--state, --type and --batch filter jobs, not batches', 'list');
    }
    const page = await client.batches.list(paging);
    if (values.json) printJson(io.out, page);
    else io.out.write(page.items.length > 0 ? batchesTable(page.items) : 'no batches\n');
    nextCursor = page.nextCursor;
  } else {
    const page = await client.jobs.list({
      ...paging,
      ...(values.state === undefined ? {} : { state: values.state }),
      ...(values.type === undefined ? {} : { type: values.type }),
      ...(values.batch === undefined ? {} : { batchId: values.batch }),
    });
    if (values.json) printJson(io.out, page);
    else io.out.write(page.items.length > 0 ? jobsTable(page.items) : 'no jobs\n');
    nextCursor = page.nextCursor;
  }
  if (nextCursor !== null && !values.json) {
    io.err.write(`more: kiln list ${what} … --cursor ${nextCursor}\n`);
  }
  return 0;
});
