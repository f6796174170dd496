/**
 * What can go wrong talking to a Kiln server, and the exit code each maps to.
 *
 * Not a KilnError: the code comes from the server, which may be another version of Kiln
 * (a code this build's catalogue does not know, or the server's `INTERNAL`), or is the
 * client's own `UNREACHABLE`, which no server ever answers.
 */
export class ClientError extends Error {
  /** The server's error code (src/core/errors.ts), `INTERNAL`, `HTTP_<status>` or `UNREACHABLE`. */
  readonly code: string;
  /** The HTTP status; null when no answer came (connection refused, DNS, reset). */
  readonly status: number | null;
  readonly details: unknown;

  constructor(code: string, message: string, status: number | null, details?: unknown) {
    super(message);
    this.name = 'ClientError';
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

/** Exit codes every client command shares; `kiln --help` documents them. */
export const EXIT = {
  ok: 0,
  /** A watched job or batch failed or was cancelled; the server refused (409) or failed (5xx). */
  failed: 1,
  /** Bad arguments, or input the server rejected as invalid (400, 413, 415). */
  usage: 2,
  /** No such job, batch, template or route (404). */
  notFound: 3,
  /** The server cannot be reached, or refused the token (401, 403). */
  unreachable: 4,
} as const;

export function exitCodeOf(error: ClientError): number {
  const s = error.status;
  if (s === null || s === 401 || s === 403) return EXIT.unreachable;
  if (s === 404) return EXIT.notFound;
  if (s === 400 || s === 413 || s === 415 || s === 422) return EXIT.usage;
  return EXIT.failed;
}

/**
 * Why a fetch threw, from its cause chain: undici's "fetch failed" wraps the socket
 * error, whose code (ECONNREFUSED, ENOTFOUND, …) or innermost message says more.
 */
export function networkReason(error: unknown): string {
  let reason = error instanceof Error ? error.message : String(error);
  let e: unknown = error;
  for (let depth = 0; depth < 5 && e instanceof Error; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    reason = e.message;
    e = e.cause;
  }
  return reason;
}
