/**
 * Bearer-token auth for every route but /healthz, /api/session (the login) and the
 * dashboard's static files (they hold no data). The dashboard's session cookie
 * (session/) counts like the header. Both sides are hashed before the comparison, so
 * `timingSafeEqual` compares equal lengths and the time taken says nothing about the
 * token, not even its length. Neither the token nor the cookie is ever logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { KilnError } from '../core/errors.ts';
import { isDashboardRequest } from './dashboard/paths.ts';
import type { ErrorBody } from './errors.ts';
import { SESSION_COOKIE, sessionValue } from './session/cookie.ts';

/** Paths anyone may reach: a liveness probe has no token; the login is how one gives it. */
const OPEN_PATHS = new Set(['/healthz', '/api/session']);

/** What tokens are compared as: their SHA-256, so the comparison's length is fixed. */
export const tokenDigest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
const digest = tokenDigest;

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1];
}

export function bearerAuth(token: string | undefined): MiddlewareHandler {
  if (token === undefined) return async (_c, next) => next();
  const expected = digest(token);
  const expectedCookie = digest(sessionValue(token));
  return async (c, next) => {
    if (OPEN_PATHS.has(c.req.path) || isDashboardRequest(c.req.method, c.req.path)) return next();
    const presented = bearerToken(c.req.header('authorization'));
    if (presented !== undefined && timingSafeEqual(expected, digest(presented))) return next();
    const cookie = presented === undefined ? getCookie(c, SESSION_COOKIE) : undefined;
    if (cookie !== undefined && timingSafeEqual(expectedCookie, digest(cookie))) return next();
    const error = new KilnError(
      'UNAUTHORIZED',
      presented === undefined
        ? 'this server needs `Authorization: Bearer <token>`'
        : 'the bearer token is not valid',
    );
    return c.json({ error: error.toJSON() } satisfies ErrorBody, 401, {
      'WWW-Authenticate': presented === undefined ? 'Bearer' : 'Bearer error="invalid_token"',
    });
  };
}
