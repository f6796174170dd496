/**
 * Paths with dot segments (`.`, `..`, or encoded as `%2e%2e`) are refused, not resolved.
 * The URL parser would resolve them before routing (`/api/jobs/1/artifacts/%2e%2e/x`
 * becomes `/api/jobs/1/x`), so a trick aimed at a file would silently reach another
 * route instead; refusing it says what happened. Read from the request line as the
 * client sent it (node's `incoming.url`), which the parsed URL no longer shows.
 */
import type { MiddlewareHandler } from 'hono';
import { KilnError } from '../core/errors.ts';

const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;
const ARTIFACTS = /^\/api\/jobs\/[^/]+\/artifacts\//;

/** Whether a request target's path (query excluded) has a `.` or `..` segment. */
export function hasDotSegment(target: string): boolean {
  const path = target.split('?', 1)[0]!;
  return path.split(/[/\\]|%5c/i).some((segment) => DOT_SEGMENT.test(segment));
}

export function refuseDotSegments(): MiddlewareHandler {
  return async (c, next) => {
    const raw = (c.env as { incoming?: { url?: string } } | undefined)?.incoming?.url;
    if (raw !== undefined && hasDotSegment(raw)) {
      if (ARTIFACTS.test(raw)) {
        throw new KilnError(
          'INVALID_ARTIFACT_NAME',
          'artifact names are 1-128 letters, digits, `.`, `_` or `-`, never a path',
        );
      }
      throw new KilnError('INVALID_ARGUMENT', 'paths with `.` or `..` segments are not accepted');
    }
    return next();
  };
}
