/** What the one-id actions (cancel, retry, pause, resume) share: their help and parsing. */
import { CONNECTION_HELP, JSON_OPTION, parseCommand } from './common.ts';

export const actionHelp = (usage: string, what: string) => `Usage: kiln ${usage} [options]

${what}
Prints what it left the job or batch in (the object with --json). Exit code 1 when
its state does not allow the action (INVALID_TRANSITION), 3 when there is no such id.

Options:
      --json                 Print the job or batch as JSON
${CONNECTION_HELP}
`;

export const parseOneId = (command: string, args: string[]) =>
  parseCommand(command, args, JSON_OPTION, {
    min: 1,
    max: 1,
    names: `the id: kiln ${command} <id>`,
  });
