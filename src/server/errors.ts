import type { Context } from 'hono';
import { type ErrorCode, KilnError } from '../core/errors.ts';

/** The one error body of the HTTP API: `{ "error": { "code", "message", "details"? } }`. */
export interface ErrorBody {
  error: { code: ErrorCode | 'INTERNAL'; message: string; details?: unknown };
}

/** Answers a KilnError with its catalogue status; anything else is a logged 500. */
export function errorResponse(c: Context, error: unknown): Response {
  if (error instanceof KilnError) {
    return c.json({ error: error.toJSON() } satisfies ErrorBody, error.status as 400);
  }
  return c.json(
    { error: { code: 'INTERNAL', message: 'internal error' } } satisfies ErrorBody,
    500,
  );
}
