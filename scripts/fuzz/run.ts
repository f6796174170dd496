/**
 * `npm run fuzz -- [--store sqlite|postgres] [--seed S] [--runs N] [--cli-runs N]
 * [--seconds N] [--out f.json]`: one fuzz run (harness.ts), its summary printed and
 * optionally written as JSON. Exit code 0 when no case found anything, 1 when one did,
 * 2 for a usage error, 3 when the run itself could not finish. Ctrl-C (or SIGTERM)
 * stops the server and removes the store.
 */
import { writeFileSync } from 'node:fs';
import { stopOnSignals } from '../shared/interrupt.ts';
import { onInterrupt, runFuzz } from './harness.ts';
import { type FuzzOptions, parseOptions, USAGE } from './options.ts';
import { formatSummary } from './report.ts';

let options: FuzzOptions | 'help';
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : error}\n\n${USAGE}`);
  process.exit(2);
}
if (options === 'help') {
  process.stdout.write(USAGE);
  process.exit(0);
}

stopOnSignals('fuzz', onInterrupt);

const say = (line: string) => process.stderr.write(`fuzz: ${line}\n`);
try {
  const summary = await runFuzz(options, say);
  process.stdout.write(formatSummary(summary));
  if (options.out) writeFileSync(options.out, `${JSON.stringify(summary, null, 2)}\n`);
  process.exit(summary.ok ? 0 : 1);
} catch (error) {
  say(
    `the run could not finish: ${error instanceof Error ? (error.stack ?? error.message) : error}`,
  );
  process.exit(3);
}
