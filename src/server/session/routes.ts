/**
 * `POST /api/session {"token"}` and `DELETE /api/session`: the dashboard's login and
 * logout. A right token gets an HttpOnly, SameSite=Strict cookie the auth middleware
 * accepts like the bearer header, so `<a href>` downloads and the event stream work
 * without a token in a URL. Open without a token (it is how one presents it).
 */
import { timingSafeEqual } from 'node:crypto';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { KilnError } from '../../core/errors.ts';
import { tokenDigest as digest } from '../auth.ts';
import type { ServerDeps } from '../deps.ts';
import { errors, jsonBody } from '../schemas/index.ts';
import { SESSION_COOKIE, sessionValue } from './cookie.ts';

export const CreateSessionSchema = z
  .strictObject({
    token: z.string().min(1).max(1_000).openapi({ description: "The server's token" }),
  })
  .openapi('CreateSession');
export type CreateSessionRequest = z.infer<typeof CreateSessionSchema>;

const login = createRoute({
  method: 'post',
  path: '/api/session',
  tags: ['session'],
  summary: 'Log in a browser: the token for a session cookie',
  description:
    'A right token: 204 with `Set-Cookie: kiln_session=…; HttpOnly; SameSite=Strict; Path=/` ' +
    '(and `Secure` over https), accepted from then on like the bearer header. A wrong ' +
    'one: 401 UNAUTHORIZED. A server without a token answers 204 and sets no cookie.',
  security: [],
  request: { body: jsonBody(CreateSessionSchema) },
  responses: { 204: { description: 'Logged in' }, ...errors(400, 401, 413, 415) },
});

const logout = createRoute({
  method: 'delete',
  path: '/api/session',
  tags: ['session'],
  summary: 'Log out a browser: clears the session cookie',
  security: [],
  responses: { 204: { description: 'The cookie is cleared' } },
});

const overHttps = (c: Context): boolean =>
  new URL(c.req.url).protocol === 'https:' ||
  c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';

export function registerSessionRoutes(app: OpenAPIHono, deps: ServerDeps): void {
  const expected = deps.token === undefined ? undefined : sessionValue(deps.token);
  const expectedToken = deps.token === undefined ? undefined : digest(deps.token);
  app.openapi(login, (c) => {
    const { token } = c.req.valid('json');
    if (expected === undefined || expectedToken === undefined) return c.body(null, 204);
    // The token's digest, as the bearer check compares it: deriving the cookie (scrypt)
    // for each login would let anyone make the server burn CPU.
    if (!timingSafeEqual(digest(token), expectedToken)) {
      throw new KilnError('UNAUTHORIZED', 'the token is not valid');
    }
    setCookie(c, SESSION_COOKIE, expected, {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
      secure: overHttps(c),
    });
    return c.body(null, 204);
  });
  app.openapi(logout, (c) => {
    deleteCookie(c, SESSION_COOKIE, { path: '/', secure: overHttps(c) });
    return c.body(null, 204);
  });
}
