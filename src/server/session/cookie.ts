/**
 * The browser's session cookie: `kiln_session` holds a digest of the token, never the
 * token itself (a cookie store or a proxy log that leaks it does not leak the token;
 * it stays valid only as long as the token does).
 */
import { createHash } from 'node:crypto';

export const SESSION_COOKIE = 'kiln_session';

/** The cookie value for a token: hex SHA-256 of a fixed label and the token. */
export function sessionValue(token: string): string {
  return createHash('sha256').update(`kiln-session\0${token}`, 'utf8').digest('hex');
}
