/**
 * What a handler hands over (a result, heartbeat details, log fields, messages), turned
 * into what the store holds, here, where the handler gave it. A value JSON cannot hold
 * (a BigInt, a cycle) or a NUL character, which PostgreSQL cannot hold in text, must
 * fail where it is made: the worker writes many attempts' reports in one statement, and
 * a value that failed there would fail every turn after it, stopping the whole worker.
 * Results and heartbeat details become JSON text with `jsonText` and messages lose
 * their NULs with `storableText` (core/text.ts, shared with the enqueue's params); log
 * fields are here.
 */

/** Log fields as JSON text, never throwing: a log call must not fail the handler. */
export function logFieldsText(fields: unknown): string | null {
  if (fields === undefined || fields === null) return null;
  try {
    return JSON.stringify(fields) ?? null;
  } catch (error) {
    return JSON.stringify({ unserializable: (error as Error).message.split('\n')[0] });
  }
}
