/**
 * Text as every store can hold it: PostgreSQL cannot hold a NUL character (U+0000) in
 * text, so it becomes U+FFFD, the replacement character, on both stores (a handler's
 * messages; `kiln copy` of an older SQLite database into PostgreSQL). JSON escapes a NUL
 * (`\u0000`), so JSON text never holds one.
 */
export function storableText(text: string): string {
  return text.includes('\0') ? text.replaceAll('\0', '\uFFFD') : text;
}
