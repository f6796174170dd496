import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { type ErrorCode, KilnError } from '../core/errors.ts';

/** The one error body of the HTTP API: `{ "error": { "code", "message", "details"? } }`. */
export interface ErrorBody {
  error: { code: ErrorCode | 'INTERNAL'; message: string; details?: unknown };
}

/**
 * The KilnError an error stands for, or null for an unexpected one (a 500). Hono's own
 * HTTPExceptions (thrown by its validators and middleware before our code runs) are
 * mapped to catalogue codes by status.
 */
export function asKilnError(error: unknown): KilnError | null {
  if (error instanceof KilnError) return error;
  if (error instanceof HTTPException) {
    switch (error.status) {
      case 400:
        // The only 400 Hono's JSON validator throws is a body that does not parse.
        return /json/i.test(error.message)
          ? new KilnError('MALFORMED_JSON', 'the request body is not valid JSON')
          : new KilnError('INVALID_ARGUMENT', error.message || 'bad request');
      case 401:
        return new KilnError('UNAUTHORIZED', 'a valid bearer token is required');
      case 404:
        return new KilnError('NOT_FOUND', 'no such route');
      case 405:
        return new KilnError('METHOD_NOT_ALLOWED', 'the route does not take that method');
      case 413:
        return bodyTooLarge();
      case 415:
        return new KilnError(
          'UNSUPPORTED_MEDIA_TYPE',
          'the request body must be application/json (set content-type: application/json)',
        );
    }
  }
  return null;
}

export function bodyTooLarge(limitBytes?: number): KilnError {
  const limit = limitBytes === undefined ? '' : ` of ${limitBytes} bytes`;
  return new KilnError(
    'BODY_TOO_LARGE',
    `the request body exceeds the limit${limit}`,
    limitBytes === undefined ? undefined : { limitBytes },
  );
}

/** Answers a KilnError (or a Hono HTTPException) with its catalogue status; anything else is a 500. */
export function errorResponse(c: Context, error: unknown): Response {
  const known = asKilnError(error);
  if (known) {
    return c.json({ error: known.toJSON() } satisfies ErrorBody, known.status as 400);
  }
  return c.json(
    { error: { code: 'INTERNAL', message: 'internal error' } } satisfies ErrorBody,
    500,
  );
}
