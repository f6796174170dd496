/**
 * The browser's session cookie: `kiln_session` holds a value derived from the token,
 * never the token itself (a cookie store or a proxy log that leaks it does not leak the
 * token; it stays valid only as long as the token does).
 *
 * The value must be the same on every server with that token (several servers behind
 * one address, or a restart, keep the browser logged in), so it has no random salt.
 * It is scrypt of the token rather than a plain hash: a leaked cookie is still a way
 * to test guesses of the token offline, and scrypt makes each guess cost about
 * 16 MiB and tens of milliseconds instead of a microsecond. A server derives it once
 * (it is cached), never per request.
 */
import { scryptSync } from 'node:crypto';

export const SESSION_COOKIE = 'kiln_session';

/** scrypt cost: N = 2^14, r = 8 (16 MiB, within Node's default 32 MiB maxmem). */
const COST = { N: 2 ** 14, r: 8, p: 1 };
const cached = new Map<string, string>();

/** The cookie value for a token: hex scrypt of the token, with a fixed label as salt. */
export function sessionValue(token: string): string {
  let value = cached.get(token);
  if (value === undefined) {
    value = scryptSync(token, 'kiln-session', 32, COST).toString('hex');
    // A process serves one token; the bound keeps a test run's many tokens in check.
    if (cached.size >= 16) cached.clear();
    cached.set(token, value);
  }
  return value;
}
