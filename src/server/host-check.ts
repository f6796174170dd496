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

/** A URL's host name without IPv6 brackets (`[::1]` is `::1`). */
const bareHostname = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

/** The host name of a `Host` header value (port and IPv6 brackets dropped), or null. */
export function hostName(header: string): string | null {
  try {
    return bareHostname(new URL(`http://${header}`));
  } catch {
    return null;
  }
}

const local = (name: string) => isLoopback(name) || name.toLowerCase().endsWith('.localhost');

/**
 * A page on another site may still send a request to 127.0.0.1 itself: it cannot read
 * the answer, but a POST that takes no body (cancel, retry, pause, prune) would act. So
 * a server without a token also refuses a request that changes something when the
 * browser says it comes from another site (`Sec-Fetch-Site`) or from an origin that is
 * not this machine (`Origin`). Clients other than browsers send neither, and pass.
 */
function crossSite(
  method: string,
  origin: string | undefined,
  fetchSite: string | undefined,
): boolean {
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return false;
  if (fetchSite === 'cross-site' || fetchSite === 'same-site') return true;
  if (origin === undefined) return false;
  try {
    return !local(bareHostname(new URL(origin)));
  } catch {
    return true;
  }
}

function refuseCrossSite(): never {
  throw new KilnError(
    'HOST_NOT_ALLOWED',
    'this server has no token, so it takes changes only from this machine, not from a page of another site; give it a token (--token or KILN_TOKEN) to serve other origins',
  );
}

export function refuseForeignHosts(token: string | undefined): MiddlewareHandler {
  if (token !== undefined) return async (_c, next) => next();
  return async (c, next) => {
    const header = c.req.header('host');
    if (header === undefined) return next();
    const name = hostName(header);
    if (name !== null && local(name))
      return crossSite(c.req.method, c.req.header('origin'), c.req.header('sec-fetch-site'))
        ? refuseCrossSite()
        : next();
    throw new KilnError(
      'HOST_NOT_ALLOWED',
      `this server has no token, so it answers only requests to localhost, 127.0.0.1 or [::1], not to ${JSON.stringify(header.slice(0, 100))}; give it a token (--token or KILN_TOKEN) to serve other names`,
    );
  };
}
