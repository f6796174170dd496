#!/usr/bin/env -S node --max-semi-space-size=4
// A dedicated worker process caps V8's young generation at 4 MB: peak RSS 95 MB instead
// of 114 MB over a 20,000-job drain, at the same throughput (docs/PERFORMANCE.md, W6).
// `npm run kiln` passes the same flag; the bench's worker processes do too.
/**
 * The `kiln` command: `kiln serve`, the HTTP API with an embedded worker, and `kiln
 * worker`, a worker as a process of its own; `kiln migrate` and `kiln copy`, to prepare
 * a store and to grow from SQLite to PostgreSQL; the client commands. Each lives in
 * src/cli and is loaded only when it runs: a client command does not pay for loading
 * the server (hono, zod-openapi) or the stores.
 *
 * Exit codes: 0 done (a worker: stopped by SIGTERM or SIGINT), 1 failure, 2 bad usage;
 * the client commands add 3 and 4 (src/cli/commands/index.ts, CLIENT_EXIT_CODES).
 */
import { CLIENT_COMMAND_NAMES, CLIENT_EXIT_CODES, CLIENT_HELP } from '../src/cli/commands/help.ts';
import { UsageError } from '../src/cli/usage.ts';
import { KilnError, suggestName } from '../src/core/errors.ts';

type Command = (args: string[]) => Promise<void>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('../src/cli/serve.ts')).serve,
  worker: async () => (await import('../src/cli/worker.ts')).worker,
  migrate: async () => (await import('../src/cli/migrate.ts')).migrate,
  copy: async () => (await import('../src/cli/copy.ts')).copy,
  ...Object.fromEntries(
    CLIENT_COMMAND_NAMES.map((name) => [
      name,
      async () => (await import('../src/cli/commands/index.ts')).clientCommands[name]!,
    ]),
  ),
};

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
  const load = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (load) {
    current = command;
    return (await load())(rest);
  }
  const hint = suggestName(command, Object.keys(COMMANDS));
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
