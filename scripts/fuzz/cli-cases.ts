/**
 * The CLI cases: random `kiln` client command lines (commands, typos, options with
 * good and bad values, unknown options, ids seen earlier or made up) with a URL and a
 * token that are right, wrong or missing, by flag or by environment. Placeholders
 * (`{url}`, `{token}`, `{job}` …) are filled in when a case runs, from the target and
 * the ids the HTTP phase met.
 */
import fc from 'fast-check';
import { CLIENT_COMMAND_NAMES } from '../../src/cli/commands/help.ts';

export interface CliCase {
  args: string[];
  /** KILN_URL and KILN_TOKEN: right, wrong or unset. */
  envUrl: 'right' | 'wrong' | 'unset';
  envToken: 'right' | 'wrong' | 'unset';
}

/** Files in the folder a case runs in (cli-run.ts writes them). */
export const CLI_FILES: Record<string, string> = {
  'jobs.json': JSON.stringify([
    { type: 'curriculum', params: { subject: 'math', grade: 2 } },
    { type: 'presentation', params: { title: 'T', slides: [{ title: 'a', body: 'b' }] } },
  ]),
  'batch.json': JSON.stringify({
    name: 'from file',
    jobs: [{ type: 'curriculum', params: { subject: 'art', grade: 1 } }],
  }),
  'jobs.csv': 'type,name,subject,grade\ncurriculum,one,math,3\ncurriculum,two,art,13\n',
  'bad.json': '{"jobs": [',
  'empty.csv': '',
  'weird.csv': 'type,"unclosed\n\u0000,,,\n',
  'notes.txt': 'not jobs',
};

/** Arguments without NUL (a process argument cannot hold one). */
const text = (max: number) =>
  fc.string({ unit: 'grapheme', maxLength: max }).map((s) => s.replaceAll('\u0000', ''));

const pick = <T>(...values: T[]) => fc.constantFrom(...values);

const VALUES: Record<string, fc.Arbitrary<string>> = {
  param: pick(
    'subject=math',
    'grade=3',
    'grade=abc',
    'grade=99',
    '=x',
    'k',
    `title=${'x'.repeat(300)}`,
    'slides=[]',
    'a.b=1',
  ),
  params: pick(
    '{"subject":"math","grade":4}',
    '{"title":"t","slides":[{"title":"a","body":"b"}]}',
    '{',
    '[]',
    'null',
    '{"__proto__":{"x":1}}',
  ),
  axis: pick('subject=math,art', 'grade=1,2', 'grade=', '=1', 'subject', 'grade=1,1,1'),
  grid: pick(
    '{"subject":["math"],"grade":[1]}',
    '{"subject":[]}',
    '{',
    '[]',
    '{"grade":[1,2,3,4,5,6,7,8,9,10,11,12]}',
  ),
  file: pick(...Object.keys(CLI_FILES), 'missing.json', '.', 'sub'),
  priority: pick('5', '-1', 'abc', '1e9', '0.5', ''),
  'run-at': pick('30s', '5m', '2030-01-01T00:00:00Z', 'yesterday', '-5s', '0s', '99999h'),
  concurrency: pick('1', '0', 'abc', '-3', '1000001'),
  webhook: pick('https://hooks.invalid/x', 'http://127.0.0.1:9/', 'notaurl', 'file:///etc/passwd'),
  template: pick('curriculum-grid', 'presentation-sample', '{template}', 'nope', ''),
  type: pick('curriculum', 'presentation', 'nope', ''),
  state: pick('pending', 'running,failed', 'nope', ''),
  batch: pick('{batch}', 'nope'),
  limit: pick('1', '0', '1000', '5000', 'x'),
  cursor: pick('abc', '', 'eyJ4IjoxfQ'),
  // Relative names only, inside the case's own folder: the fuzzer never writes elsewhere.
  output: pick('out.zip', 'sub/out.zip', 'missing-dir/out.zip', '.'),
  key: text(20),
  name: text(30),
  url: pick('{url}', 'http://127.0.0.1:1', 'notaurl', 'ftp://127.0.0.1/', '{url}/api'),
  token: pick('{token}', 'wrong', ''),
};
const FLAGS = ['json', 'help'];

/** The options each command takes (help text), and some it does not. */
const OPTIONS: Record<string, string[]> = {
  submit: ['param', 'params', 'priority', 'run-at', 'key', 'name'],
  batch: [
    'template',
    'grid',
    'axis',
    'params',
    'param',
    'file',
    'type',
    'name',
    'webhook',
    'priority',
    'concurrency',
    'run-at',
  ],
  list: ['state', 'type', 'batch', 'limit', 'cursor'],
  export: ['output'],
};
const ALL_OPTIONS = Object.keys(VALUES);

const ref = pick('{job}', '{batch}', '{template}', 'no-such-id', '..', '', '-');

const positionals = (command: string) => {
  if (command === 'submit')
    return fc.tuple(pick('curriculum', 'presentation', 'nope', '{template}'));
  if (command === 'batch') return fc.tuple(pick('create', 'list', 'nope'));
  if (command === 'list') return fc.tuple(pick('jobs', 'batches', 'nope'));
  if (command === 'prune') return fc.constant([] as string[]);
  return fc.tuple(ref);
};

const option = (command: string) =>
  fc
    .oneof(
      { weight: 5, arbitrary: pick(...(OPTIONS[command] ?? ['json'])) },
      { weight: 1, arbitrary: pick(...ALL_OPTIONS, 'nope') },
    )
    .chain((name) =>
      name in VALUES
        ? fc.oneof(
            { weight: 6, arbitrary: VALUES[name]!.map((v) => [`--${name}`, v]) },
            { weight: 1, arbitrary: text(20).map((v) => [`--${name}`, v]) },
            // The option's value left out: it is the last argument.
            { weight: 1, arbitrary: fc.constant([`--${name}`]) },
          )
        : fc.constant([`--${name}`]),
    );

const flag = pick(...FLAGS, 'unknown-flag').map((f) => [`--${f}`]);

const command = fc.oneof(
  { weight: 12, arbitrary: pick(...CLIENT_COMMAND_NAMES) },
  { weight: 1, arbitrary: pick('sumbit', 'stauts', 'Batch', '', '-x', '--help', 'help') },
);

export const cliCaseArbitrary: fc.Arbitrary<CliCase> = command.chain((cmd) =>
  fc.record({
    args: fc
      .tuple(
        positionals(cmd),
        fc.array(fc.oneof({ weight: 4, arbitrary: option(cmd) }, { weight: 1, arbitrary: flag }), {
          maxLength: 4,
        }),
      )
      .map(([pos, opts]) => [cmd, ...pos, ...opts.flat()]),
    envUrl: fc.oneof(
      { weight: 8, arbitrary: fc.constant('right' as const) },
      { weight: 1, arbitrary: pick('wrong' as const, 'unset' as const) },
    ),
    envToken: fc.oneof(
      { weight: 8, arbitrary: fc.constant('right' as const) },
      { weight: 1, arbitrary: pick('wrong' as const, 'unset' as const) },
    ),
  }),
);
