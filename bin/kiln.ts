#!/usr/bin/env -S node --max-semi-space-size=4
// A dedicated worker process caps V8's young generation at 4 MB: peak RSS 95 MB instead
// of 114 MB over a 20,000-job drain, at the same throughput (docs/PERFORMANCE.md, W6).
// `npm run kiln` passes the same flag; the bench's worker processes do too.
/**
 * The `kiln` command: `kiln serve`, the HTTP API with an embedded worker, and `kiln
 * worker`, a worker as a process of its own (src/cli); `kiln migrate` and `kiln copy`
 * (migrate.ts, copy.ts), to prepare a store and to grow from SQLite to PostgreSQL.
 *
 * Exit codes: 0 done (a worker: stopped by SIGTERM or SIGINT), 1 failure, 2 bad usage;
 * the client commands add 3 and 4 (src/cli/commands/index.ts, CLIENT_EXIT_CODES).
 */
import { CLIENT_EXIT_CODES, CLIENT_HELP, clientCommands } from '../src/cli/commands/index.ts';
import { serve } from '../src/cli/serve.ts';
import { worker } from '../src/cli/worker.ts';
import { KilnError, suggestName } from '../src/index.ts';
import { UsageError } from './cli.ts';
import { copy } from './copy.ts';
import { migrate } from './migrate.ts';

const HELP = `Usage: kiln <command> [options]

Commands:
  serve     Serve the HTTP API with an embedded worker (src/cli/serve.ts)
  worker    Run jobs from a store until stopped (SIGTERM or SIGINT)
  migrate   Apply a store's pending schema migrations and print its version
  copy      Copy a whole store into another, empty one (e.g. SQLite to PostgreSQL)

${CLIENT_HELP}

Options:
  -h, --help    Show this help

${CLIENT_EXIT_CODES}

Run \`kiln <command> --help\` for a command's options.
`;

/** The subcommand being run, to point error messages at its help. */
let current: string | undefined;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(HELP);
    return;
  }
  const commands: Record<string, (args: string[]) => Promise<void>> = {
    serve,
    worker,
    migrate,
    copy,
    ...clientCommands,
  };
  const run = Object.hasOwn(commands, command) ? commands[command] : undefined;
  if (run) {
    current = command;
    return run(rest);
  }
  const hint = suggestName(command, Object.keys(commands));
  throw new UsageError(
    `unknown command \`${command}\`${hint ? `, did you mean \`${hint}\`?` : ''}`,
  );
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError || (error instanceof KilnError && error.status === 400)) {
    const command = error instanceof UsageError ? (error.command ?? current) : current;
    const help = command ? `kiln ${command} --help` : 'kiln --help';
    process.stderr.write(`kiln: ${error.message}\nRun \`${help}\` for usage.\n`);
    process.exitCode = 2;
  } else if (error instanceof KilnError) {
    // Refused for what the store holds (not empty, jobs running, …): the message says why.
    process.stderr.write(`kiln: ${error.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(
      `kiln: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  }
});
