/** Which requests the dashboard answers: GETs outside the API's own paths. */

/** Paths that keep their API meaning (and their JSON 404s): never the dashboard's. */
const API_PATHS = new Set(['/api', '/healthz', '/metrics', '/openapi.json']);

export function isApiPath(path: string): boolean {
  return API_PATHS.has(path) || path.startsWith('/api/');
}

/** A GET or HEAD the dashboard serves (a file, or index.html for a client-side route). */
export function isDashboardRequest(method: string, path: string): boolean {
  return (method === 'GET' || method === 'HEAD') && !isApiPath(path);
}
