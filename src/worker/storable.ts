import { KilnError } from '../core/errors.ts';

/**
 * What a handler hands over (a result, heartbeat details, log fields, messages), turned
 * into what the store holds, here, where the handler gave it. A value JSON cannot hold
 * (a BigInt, a cycle) or a NUL character, which PostgreSQL cannot hold in text, must
 * fail where it is made: the worker writes many attempts' reports in one statement, and
 * a value that failed there would fail every turn after it, stopping the whole worker.
 */

/** JSON text of `value` (undefined, a function: `null`); a KilnError `code` when JSON cannot hold it. */
export function jsonText(
  value: unknown,
  what: string,
  code: 'INVALID_ARGUMENT' | 'INVALID_RESULT' = 'INVALID_ARGUMENT',
): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new KilnError(
      code,
      `${what} must be a value JSON can hold: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  return text ?? 'null';
}

/** Log fields as JSON text, never throwing: a log call must not fail the handler. */
export function logFieldsText(fields: unknown): string | null {
  if (fields === undefined || fields === null) return null;
  try {
    return JSON.stringify(fields) ?? null;
  } catch (error) {
    return JSON.stringify({ unserializable: (error as Error).message.split('\n')[0] });
  }
}
