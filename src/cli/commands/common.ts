/** What every client command shares: the connection options, errors, output. */

import { ClientError, DEFAULT_URL, exitCodeOf, KilnClient } from '../client/index.ts';
import { parse, UsageError } from '../usage.ts';

/** Options every client command takes. */
export const CONNECTION_OPTIONS = {
  url: { type: 'string', short: 'u' },
  token: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const JSON_OPTION = { json: { type: 'boolean' } } as const;

/** The lines of every client command's help that describe the connection. */
export const CONNECTION_HELP = `  -u, --url <url>        Server URL (env KILN_URL; default ${DEFAULT_URL})
      --token <token>    Bearer token (env KILN_TOKEN)
  -h, --help             Show this help`;

export interface Io {
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
}

export const processIo = (): Io => ({ out: process.stdout, err: process.stderr, env: process.env });

/** The client for `--url`/`--token`, falling back to KILN_URL and KILN_TOKEN. */
export function connect(
  values: { url?: string | undefined; token?: string | undefined },
  env: NodeJS.ProcessEnv,
): KilnClient {
  const url = values.url ?? (env.KILN_URL || DEFAULT_URL);
  const token = values.token ?? (env.KILN_TOKEN || undefined);
  return new KilnClient({ url, token });
}

export type CommandRun = (args: string[], io: Io) => Promise<number | undefined>;

/**
 * A client command as bin/kiln.ts runs it: usage errors go up to its handler (exit 2,
 * with a pointer to the help); what the server said is printed as `kiln: <message>
 * (<CODE>)` with the exit code the help documents.
 */
export function clientCommand(name: string, help: string, run: CommandRun) {
  return async (args: string[]): Promise<void> => {
    const io = processIo();
    if (args.includes('-h') || args.includes('--help')) {
      io.out.write(help);
      return;
    }
    try {
      const code = await run(args, io);
      if (code !== undefined && code !== 0) process.exitCode = code;
    } catch (error) {
      if (!(error instanceof ClientError)) throw error;
      if (error.code === 'INVALID_URL') throw new UsageError(error.message, name);
      io.err.write(`kiln: ${error.message} (${error.code})\n`);
      process.exitCode = exitCodeOf(error);
    }
  };
}

/** parseArgs with the connection options added, and one positional check. */
export function parseCommand<O extends Parameters<typeof parse>[2]>(
  command: string,
  args: string[],
  options: O,
  positionals: { min: number; max: number; names: string },
) {
  const parsed = parse(command, args, { ...CONNECTION_OPTIONS, ...options }, true);
  const n = parsed.positionals.length;
  if (n < positionals.min) {
    throw new UsageError(`missing ${positionals.names}`, command);
  }
  if (n > positionals.max) {
    throw new UsageError(`unexpected argument \`${parsed.positionals[positionals.max]}\``, command);
  }
  return parsed;
}

export function printJson(out: NodeJS.WritableStream, value: unknown): void {
  out.write(`${JSON.stringify(value)}\n`);
}

/** A value from the command line: JSON when it parses (3, true, [1,2], "x"), else the text. */
export function looseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** `--params '{"a":1}'` and `--param a=1 …` merged (each --param wins over --params). */
export function readParams(
  command: string,
  json: string | undefined,
  pairs: string[] | undefined,
): Record<string, unknown> | undefined {
  let params: Record<string, unknown> | undefined;
  if (json !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (error) {
      throw new UsageError(`--params is not JSON: ${(error as Error).message}`, command);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new UsageError('--params must be a JSON object', command);
    }
    params = parsed as Record<string, unknown>;
  }
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param takes key=value, got \`${pair}\``, command);
    params = { ...params, [pair.slice(0, eq)]: looseValue(pair.slice(eq + 1)) };
  }
  return params;
}

export function integerOption(command: string, name: string, raw: string | undefined) {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) {
    throw new UsageError(`--${name} must be an integer, got \`${raw}\``, command);
  }
  return n;
}

/** `--run-at`: an ISO 8601 time, or a delay like 30s, 5m, 2h from now. */
export function timeOption(command: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const delay = /^(\d+)(ms|s|m|h|d)$/.exec(raw);
  if (delay) {
    const unitMs = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[delay[2]!]!;
    return new Date(Date.now() + Number(delay[1]) * unitMs).toISOString();
  }
  const at = new Date(raw);
  if (Number.isNaN(+at)) {
    throw new UsageError(
      `--run-at takes an ISO 8601 time or a delay (30s, 5m, 2h), got \`${raw}\``,
      command,
    );
  }
  return at.toISOString();
}
