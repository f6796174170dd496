/** What every `kiln` subcommand shares: usage errors and option parsing with hints. */
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { suggestName } from '../core/errors.ts';

/** A mistake in how the command was called: reported with a hint, exit code 2. */
export class UsageError extends Error {
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.command = command;
  }
}

/** parseArgs with errors a person can act on: the option, the command, a suggestion. */
export function parse<O extends ParseArgsOptionsConfig>(
  command: string,
  args: string[],
  options: O,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(message)?.[1];
    if (unknown) {
      const hint = suggestName(unknown.replace(/^-+/, ''), Object.keys(options));
      throw new UsageError(
        `unknown option ${unknown}${hint ? `, did you mean --${hint}?` : ''}`,
        command,
      );
    }
    const code = (error as { code?: string }).code;
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      const argument = /argument '([^']*)'/.exec(message)?.[1] ?? '';
      throw new UsageError(
        `unexpected argument \`${argument}\`: kiln ${command} takes options only`,
        command,
      );
    }
    throw new UsageError(message, command);
  }
}
