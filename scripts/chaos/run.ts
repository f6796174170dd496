/**
 * `npm run chaos -- --store sqlite|postgres --seconds N --seed S [--jobs N] [--out f.json]`:
 * one chaos run (harness.ts), its summary printed and optionally written as JSON. Exit
 * code 0 when every check passed, 1 when one failed, 2 for a usage error, 3 when the run
 * itself could not finish. Ctrl-C (or SIGTERM) kills every child and removes the store.
 */
import { writeFileSync } from 'node:fs';
import { stopOnSignals } from '../shared/interrupt.ts';
import { onInterrupt, runChaos } from './harness.ts';
import { type ChaosOptions, parseOptions, USAGE } from './options.ts';
import { formatSummary } from './report.ts';

let options: ChaosOptions | 'help';
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

stopOnSignals('chaos', onInterrupt);

const say = (line: string) => process.stderr.write(`chaos: ${line}\n`);
try {
  const summary = await runChaos(options, say);
  process.stdout.write(formatSummary(summary));
  if (options.out) writeFileSync(options.out, `${JSON.stringify(summary, null, 2)}\n`);
  process.exit(summary.ok ? 0 : 1);
} catch (error) {
  say(
    `the run could not finish: ${error instanceof Error ? (error.stack ?? error.message) : error}`,
  );
  process.exit(3);
}
