/** The browser session: a cookie standing for the bearer token (routes.ts, cookie.ts). */
export { SESSION_COOKIE, sessionValue } from './cookie.ts';
export {
  type CreateSessionRequest,
  CreateSessionSchema,
  registerSessionRoutes,
} from './routes.ts';
