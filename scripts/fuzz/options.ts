/** The command line of `npm run fuzz`, with its defaults. */
import { parseArgs } from 'node:util';

export interface FuzzOptions {
  store: 'sqlite' | 'postgres';
  seed: number;
  /** HTTP cases to run (fewer if `seconds` runs out first). */
  runs: number;
  /** CLI cases to run (each one a `kiln` process). */
  cliRuns: number;
  /** Longest time for each of the two phases; 0: no limit but the run counts. */
  seconds: number;
  out: string | undefined;
  /** Keep the store (SQLite folder, PostgreSQL schema) for a look afterwards. */
  keep: boolean;
}

export const USAGE = `Usage: npm run fuzz -- [options]

Property-based fuzzing (fast-check) of a real \`kiln serve\` process (token auth, the demo
job types, no worker) with random and malformed HTTP requests, raw bytes on the socket,
and random \`kiln\` client command lines against it. Every case checks: no 5xx, no
crash, every refusal a catalogued JSON error, and a refused request or a failed command
changed nothing in the store. Prints a summary; exits 1 with the shrunk counterexample
when a case fails.

Options:
  --store sqlite|postgres  default sqlite (PostgreSQL: KILN_TEST_PG_URL, default
                           postgres://root@127.0.0.1:5432/test, a schema of its own)
  --seed <n>               default 1; the same seed draws the same cases
  --runs <n>               HTTP cases, default 5000
  --cli-runs <n>           CLI cases, default 200
  --seconds <n>            stop each phase after this long (default 0: no limit)
  --out <file.json>        also write the summary as JSON
  --keep                   keep the store afterwards
`;

function int(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`--${name} must be an integer >= ${min}, got ${raw}`);
  return n;
}

export function parseOptions(args: string[]): FuzzOptions | 'help' {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      store: { type: 'string' },
      seed: { type: 'string' },
      runs: { type: 'string' },
      'cli-runs': { type: 'string' },
      seconds: { type: 'string' },
      out: { type: 'string' },
      keep: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const store = values.store ?? 'sqlite';
  if (store !== 'sqlite' && store !== 'postgres')
    throw new Error(`--store is sqlite or postgres, got ${store}`);
  return {
    store,
    seed: int('seed', values.seed, 1, 0),
    runs: int('runs', values.runs, 5_000, 0),
    cliRuns: int('cli-runs', values['cli-runs'], 200, 0),
    seconds: int('seconds', values.seconds, 0, 0),
    out: values.out,
    keep: values.keep ?? false,
  };
}
