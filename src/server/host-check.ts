/**
 * A server without a token answers only requests addressed to this machine: a `Host`
 * of `localhost` (or a subdomain of it), `127.x.y.z` or `[::1]`. Without this check a
 * web page the user visits could point its own domain name at 127.0.0.1 (DNS
 * rebinding) and then read and drive the API from the browser, same-origin as far as
 * the browser knows. Vite's and webpack's dev servers refuse such hosts for the same
 * reason. A server with a token needs no check: the page does not have the token.
 * A request without a `Host` (HTTP/1.0) comes from no browser, and passes.
 */
import type { MiddlewareHandler } from 'hono';
import { KilnError } from '../core/errors.ts';
import { isLoopback } from './loopback.ts';

/** The host name of a `Host` header value (port and IPv6 brackets dropped), or null. */
export function hostName(header: string): string | null {
  try {
    return new URL(`http://${header}`).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return null;
  }
}

const local = (name: string) => isLoopback(name) || name.toLowerCase().endsWith('.localhost');

export function refuseForeignHosts(token: string | undefined): MiddlewareHandler {
  if (token !== undefined) return async (_c, next) => next();
  return async (c, next) => {
    const header = c.req.header('host');
    if (header === undefined) return next();
    const name = hostName(header);
    if (name !== null && local(name)) return next();
    throw new KilnError(
      'HOST_NOT_ALLOWED',
      `this server has no token, so it answers only requests to localhost, 127.0.0.1 or [::1], not to ${JSON.stringify(header.slice(0, 100))}; give it a token (--token or KILN_TOKEN) to serve other names`,
    );
  };
}
