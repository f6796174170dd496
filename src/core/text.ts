import { KilnError } from './errors.ts';

/**
 * Text as every store can hold it: PostgreSQL cannot hold a NUL character (U+0000) in
 * text, so it becomes U+FFFD, the replacement character, on both stores (a handler's
 * messages; `kiln copy` of an older SQLite database into PostgreSQL). JSON escapes a NUL
 * (`\u0000`), so JSON text never holds one.
 */
export function storableText(text: string): string {
  return text.includes('\0') ? text.replaceAll('\0', '\uFFFD') : text;
}

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
