import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { ResolvedTarget } from './resolve.ts';

/**
 * POSTs `body` to `url`, connecting to `target` (the address resolve.ts checked) rather
 * than resolving the host again; TLS still checks the certificate against the URL's host.
 * Resolves with the status of the answer; rejects on a network error or after
 * `timeoutMs` in all (connect, send, and the answer's headers). Redirects are not
 * followed: a 3xx is an answer like any other that is not 2xx.
 */
export function postTo(
  url: URL,
  target: ResolvedTarget,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<number> {
  const pinned: LookupFunction = (_host, options, callback) => {
    if (options.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
  const request = url.protocol === 'https:' ? https.request : http.request;
  return new Promise<number>((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: pinned,
      // A connection of its own: a pooled socket could be one to an address checked earlier.
      agent: false,
    });
    const timer = setTimeout(
      () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    req.on('response', (res) => {
      clearTimeout(timer);
      // The answer's body is not needed; drop it and the connection.
      res.resume();
      res.on('error', () => {});
      resolve(res.statusCode ?? 0);
      res.destroy();
    });
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end(body);
  });
}
