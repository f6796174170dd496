/**
 * The verdicts, pure functions of what a case got and what the store held before and
 * after it (so test/reliability/fuzz.test.ts can show each one failing):
 *
 * - HTTP: never a 5xx; an answer to every well-framed request; every refusal a JSON
 *   `{ error: { code, message } }` with a code of the catalogue; no answer ever
 *   carrying the token the request did not carry itself; a refused request (4xx, or
 *   no answer) changes nothing in the store.
 * - CLI: no crash (an exit code outside the documented ones, a signal, a stack trace,
 *   a hang), and a failed command (non-zero exit) changes nothing in the store.
 */
import { ERROR_CATALOGUE } from '../../src/core/errors.ts';
import type { Digest } from './digest.ts';
import { changedTables } from './digest.ts';
import type { Answer } from './http-send.ts';

export function checkAnswer(
  answer: Answer,
  c: { kind: 'http'; method: string } | { kind: 'raw'; wellFramed: boolean },
  token: string,
  before: Digest,
  after: Digest,
): string[] {
  const found: string[] = [];
  const { status } = answer;
  if (status !== null && status >= 500)
    found.push(`a ${status} answer: ${answer.body.toString().slice(0, 300)}`);
  if (status === null && (c.kind === 'http' || c.wellFramed) && !resetOverLimit(answer))
    found.push(`no answer (${answer.error ?? 'connection closed'})`);
  // Raw framing errors are answered by Node's HTTP parser itself, as plain text.
  if (
    status !== null &&
    status >= 400 &&
    status < 500 &&
    c.kind === 'http' &&
    c.method !== 'HEAD'
  ) {
    const problem = errorBodyProblem(answer);
    if (problem) found.push(`a ${status} whose body ${problem}`);
  }
  if (!answer.carriedToken && answer.body.includes(token))
    found.push('the answer carries the server token');
  const refused = status === null || status >= 400;
  if (refused) {
    const changed = changedTables(before, after);
    if (changed.length > 0)
      found.push(`refused (${status ?? 'no answer'}), yet changed ${changed.join(', ')}`);
  }
  return found;
}

/**
 * A body over the limit need not be read: the server answers (413, or the route's
 * answer when it takes no body) and closes, and a client still sending meets a reset
 * that may reach it before the answer does (RFC 9112 §9.6). Not a lost answer.
 */
function resetOverLimit(answer: Answer): boolean {
  return answer.oversized && /ECONNRESET|EPIPE/.test(answer.error ?? '');
}

/** Why a refusal's body is not a catalogued error, or null when it is one. */
export function errorBodyProblem(answer: Pick<Answer, 'body' | 'contentType'>): string | null {
  if (!answer.contentType.startsWith('application/json'))
    return `is ${answer.contentType || 'untyped'}, not JSON`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.body.toString());
  } catch {
    return 'is not valid JSON';
  }
  const error = (parsed as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (typeof error?.code !== 'string' || typeof error.message !== 'string')
    return 'has no { error: { code, message } }';
  if (!(error.code in ERROR_CATALOGUE)) return `has the uncatalogued code ${error.code}`;
  if (/\n\s+at /.test(error.message)) return 'carries a stack trace';
  return null;
}

/** How a `kiln` client process ended. */
export interface CliRun {
  code: number | null;
  signal: string | null;
  stderr: string;
  /** We sent SIGINT: a `watch` still following after a moment, as a user would stop it. */
  interrupted: boolean;
  /** We sent SIGKILL: still running at the deadline (a hang). */
  killed: boolean;
}

/** The exit codes `kiln --help` documents. */
export const CLI_EXIT_CODES = [0, 1, 2, 3, 4, 130];

export function checkCli(run: CliRun, before: Digest, after: Digest): string[] {
  const found: string[] = [];
  if (run.killed) found.push('hung: still running after SIGINT');
  // Ended by the SIGINT we sent is what Ctrl-C does (a shell shows 130), as when it
  // comes while Node is still starting, before `watch` listens for it (a loaded machine).
  else if (run.signal !== null) {
    if (!(run.interrupted && run.signal === 'SIGINT')) found.push(`ended by ${run.signal}`);
  } else if (!CLI_EXIT_CODES.includes(run.code ?? -1)) found.push(`exit code ${run.code}`);
  if (/\n\s+at .+[:(]/.test(run.stderr)) found.push('a stack trace on stderr');
  if (run.code !== 0) {
    const changed = changedTables(before, after);
    if (changed.length > 0)
      found.push(`failed (exit ${run.code}), yet changed ${changed.join(', ')}`);
  }
  return found;
}
