/**
 * The web dashboard (ui/, built into dist/ui by `npm run build:ui`) served at `/`:
 * hashed `/assets/*` cached forever, index.html (never cached, with a strict
 * Content-Security-Policy) for `/` and every client-side route (history-API fallback).
 * Static files need no token: they hold no data; the data comes from /api, which does.
 * Without a build (a source checkout), `/` says how to make one.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { KilnError } from '../../core/errors.ts';
import { errorResponse } from '../errors.ts';
import { contentType, DEFAULT_UI_DIR, readUnder } from './files.ts';
import { isDashboardRequest } from './paths.ts';

export { DEFAULT_UI_DIR } from './files.ts';
export { isApiPath, isDashboardRequest } from './paths.ts';

/**
 * Scripts only from this origin; styles too, plus inline ones (React sets widths through
 * the CSSOM, which CSP allows anyway; 'unsafe-inline' is for previewed HTML artifacts,
 * shown in a sandboxed srcdoc iframe that inherits this policy and runs no script).
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "frame-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Kiln</title></head>
<body><h1>Kiln</h1><p>The dashboard is not built. Run <code>npm run build:ui</code> (or
<code>npm run build</code>) and reload. The API is at <a href="/openapi.json">/openapi.json</a>.</p>
</body></html>
`;

const htmlHeaders = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-cache',
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

export interface DashboardOptions {
  /** The built dashboard; default dist/ui under the package root. */
  uiDir?: string;
}

/** Registers the GET/HEAD handler for every path outside the API's. */
export function registerDashboard(app: OpenAPIHono, options: DashboardOptions = {}): void {
  const root = options.uiDir ?? DEFAULT_UI_DIR;
  // Read on each request (a few hundred bytes): a rebuild under a running server shows at once.
  const indexHtml = () => readUnder(root, '/index.html');
  const handler = async (c: Context, next: () => Promise<void>) => {
    if (!isDashboardRequest(c.req.method, c.req.path)) return next();
    const path = c.req.path;
    if (path !== '/' && path !== '/index.html') {
      const file = await readUnder(root, path);
      if (file !== null) {
        const hashed = path.startsWith('/assets/');
        return c.body(new Uint8Array(file), 200, {
          'content-type': contentType(path),
          'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
          'x-content-type-options': 'nosniff',
        });
      }
      // A missing hashed asset is a real 404, not the page (a stale tab after an upgrade),
      // and a catalogued one like every other refusal of the server.
      if (path.startsWith('/assets/')) {
        c.header('x-content-type-options', 'nosniff');
        return errorResponse(c, new KilnError('NOT_FOUND', `no dashboard file ${path}`));
      }
    }
    const html = await indexHtml();
    return c.body(html === null ? NOT_BUILT : new Uint8Array(html), 200, htmlHeaders);
  };
  app.use('*', handler);
}
