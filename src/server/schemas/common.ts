/**
 * What every resource's schemas share: the error body, pages, ids, times. These zod
 * schemas are the single source for request validation and for /openapi.json; the
 * types inferred from them are the wire format a client (the dashboard, the CLI) sees.
 */
import { z } from '@hono/zod-openapi';
import { ERROR_CATALOGUE, type ErrorCode } from '../../core/errors.ts';

const CODES = [...Object.keys(ERROR_CATALOGUE), 'INTERNAL'] as [ErrorCode | 'INTERNAL'];

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z
        .enum(CODES)
        .openapi({ description: 'A code from the catalogue (src/core/errors.ts)' }),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .openapi('Error');
export type ErrorResponse = z.infer<typeof ErrorSchema>;

/** An ISO 8601 time with its offset, as every time in the API is written. */
export const Time = z
  .string()
  .openapi({ format: 'date-time', example: '2025-01-01T12:00:00.000Z' });
export const NullableTime = Time.nullable();

/** A time given by a client: ISO 8601 with an offset, or milliseconds since the epoch. */
export const TimeInput = z
  .union([z.iso.datetime({ offset: true }), z.number().int().nonnegative()])
  .openapi({
    description: 'ISO 8601 with an offset (`2025-01-01T12:00:00Z`) or ms since the epoch',
    example: '2025-01-01T12:00:00Z',
  });

export const Priority = z
  .number()
  .int()
  .min(-1_000_000)
  .max(1_000_000)
  .openapi({ description: 'Higher runs first; ties run oldest first. Default 0.' });

/** Free-form JSON object (params, metadata). */
export const JsonObject = z.record(z.string(), z.unknown());

/** Ids are UUIDv7 strings; any other string is simply not found. */
export const IdParam = z.object({
  id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: '0190f5e2-…' }),
});

/** `?limit=` as a string of digits, 1–1000. */
export const LimitQuery = z
  .string()
  .regex(/^\d+$/, 'limit must be an integer from 1 to 1000')
  .transform(Number)
  .pipe(z.number().int().min(1).max(1000))
  .optional()
  .openapi({ type: 'integer', description: '1–1000, default 100', example: '100' });

export const CursorQuery = z
  .string()
  .min(1)
  .max(500)
  .optional()
  .openapi({ description: 'The `nextCursor` of the previous page' });

/** A page of a list: pass `nextCursor` back as `cursor` for the next; null on the last. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}
export interface PageBody<T> {
  items: T[];
  nextCursor: string | null;
}

/** `{ items }`, for lists that are not paged. */
export function itemsOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item) });
}

export const Usage = z.object({ tokens: z.number(), costUsd: z.number() });

/** The JSON response entries every route shares: the error answers. */
export function errors(...statuses: (400 | 401 | 404 | 409 | 413 | 415)[]) {
  const descriptions = {
    400: 'Bad input (malformed JSON, unknown field, wrong type, params failing the schema)',
    401: 'A bearer token is required (when the server has one)',
    404: 'No such resource',
    409: 'The resource is not in a state that allows this',
    413: 'The request body exceeds the limit',
    415: 'The request body must be application/json',
  };
  return Object.fromEntries(
    statuses.map((s) => [
      s,
      { description: descriptions[s], content: { 'application/json': { schema: ErrorSchema } } },
    ]),
  ) as Record<
    number,
    { description: string; content: { 'application/json': { schema: typeof ErrorSchema } } }
  >;
}

/** A JSON request body with its schema (required, so a missing body is a 400). */
export function jsonBody<T extends z.ZodType>(schema: T, description?: string) {
  return {
    required: true,
    ...(description ? { description } : {}),
    content: { 'application/json': { schema } },
  };
}

/** A JSON response with its schema. */
export function json<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}
