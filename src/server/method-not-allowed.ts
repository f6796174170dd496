/**
 * Hono answers any unmatched request with its not-found handler. A path that exists
 * under another method deserves a 405 with `Allow`, so this finds the methods the
 * app's routes take on a path.
 */
import type { Hono } from 'hono';

type RouteList = Hono['routes'];

/** The methods some route of `routes` takes on `path` (middleware excluded). */
export function allowedMethods(routes: RouteList, path: string): string[] {
  const methods = new Set<string>();
  for (const r of routes) {
    if (r.method === 'ALL') continue;
    if (pattern(r.path).test(path)) methods.add(r.method.toUpperCase());
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}

const patterns = new Map<string, RegExp>();

/** `/api/jobs/:id` → /^\/api\/jobs\/[^/]+$/ (Hono's route syntax, the parts we use). */
function pattern(path: string): RegExp {
  let re = patterns.get(path);
  if (!re) {
    const body = path
      .split('/')
      .map((part) =>
        part.startsWith(':')
          ? '[^/]+'
          : part === '*'
            ? '.*'
            : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
      )
      .join('/');
    re = new RegExp(`^${body}$`);
    patterns.set(path, re);
  }
  return re;
}
