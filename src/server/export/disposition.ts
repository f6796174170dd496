/**
 * `Content-Disposition: attachment` with a file name from a free-form name: an ASCII
 * fallback in `filename` for old clients, and the exact name in `filename*` (RFC 6266,
 * RFC 8187 UTF-8 encoding). Nothing of the name can break out of the header.
 */
export function attachmentDisposition(name: string, extension: string): string {
  const base =
    name
      .normalize('NFC')
      .replace(/[\p{Cc}/\\:*?"<>|]+/gu, '_')
      .trim() || 'export';
  const full = `${base.slice(0, 150)}.${extension}`;
  const ascii = full.replace(/[^\x20-\x7e]/g, '_').replace(/[%;]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeRfc8187(full)}`;
}

/** Percent-encoding of everything but RFC 8187's attr-char. */
function encodeRfc8187(s: string): string {
  return encodeURIComponent(s).replace(
    /['()*]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
