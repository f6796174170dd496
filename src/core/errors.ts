/**
 * One catalogue of error codes. Every error Kiln raises on purpose is a KilnError with
 * one of these codes; the HTTP layer maps `status` straight to the response.
 */
export const ERROR_CATALOGUE = {
  VALIDATION_FAILED: { status: 400, summary: "params do not satisfy the job type's schema" },
  INVALID_ARGUMENT: { status: 400, summary: 'an argument is malformed or out of range' },
  INVALID_ARTIFACT_NAME: { status: 400, summary: 'artifact names are 1-128 safe characters' },
  INVALID_STORE_URL: { status: 400, summary: 'the store URL is not one Kiln can open' },
  UNKNOWN_JOB_TYPE: { status: 400, summary: 'no job type of that name is defined' },
  UNKNOWN_OPTION: { status: 400, summary: 'an option name is not recognised' },
  MALFORMED_JSON: { status: 400, summary: 'the request body is not valid JSON' },
  INVALID_WEBHOOK: {
    status: 400,
    summary: 'the webhook URL is malformed, not http(s), or a private address not allowed',
  },
  INVALID_SCHEDULE: { status: 400, summary: 'the cron expression or time zone is not valid' },
  UNAUTHORIZED: { status: 401, summary: 'a valid bearer token is required' },
  HOST_NOT_ALLOWED: {
    status: 403,
    summary: 'a server without a token answers only requests addressed to this machine',
  },
  NOT_FOUND: { status: 404, summary: 'no such route' },
  METHOD_NOT_ALLOWED: { status: 405, summary: 'the route does not take that method' },
  JOB_NOT_FOUND: { status: 404, summary: 'no job with that id' },
  BATCH_NOT_FOUND: { status: 404, summary: 'no batch with that id' },
  TEMPLATE_NOT_FOUND: { status: 404, summary: 'no template with that name' },
  TEMPLATE_EXISTS: { status: 409, summary: 'a template of that name exists already' },
  ARTIFACT_NOT_FOUND: { status: 404, summary: 'no artifact with that name' },
  INVALID_TRANSITION: { status: 409, summary: "the job's state does not allow this action" },
  LEASE_LOST: { status: 409, summary: "the attempt no longer holds the job's lease" },
  STORE_NOT_EMPTY: {
    status: 409,
    summary: 'a copy goes only into a store that holds no jobs and no batches',
  },
  JOBS_RUNNING: {
    status: 409,
    summary: "jobs are running on the store (their workers' leases are live)",
  },
  SCHEMA_TOO_NEW: {
    status: 409,
    summary: "the store's schema is newer than this version of Kiln knows",
  },
  BODY_TOO_LARGE: { status: 413, summary: 'the request body exceeds the configured limit' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, summary: 'the request body must be application/json' },
  TIMEOUT: { status: 500, summary: 'the attempt ran past its timeout' },
  HEARTBEAT_TIMEOUT: {
    status: 500,
    summary: 'the handler sent no heartbeat within its heartbeat timeout',
  },
  LEASE_EXPIRED: { status: 500, summary: "the attempt's lease expired (worker crashed or hung)" },
  HANDLER_FAILED: { status: 500, summary: 'the handler threw' },
  INVALID_RESULT: {
    status: 500,
    summary: 'the handler returned a value JSON cannot hold (a BigInt, a cycle)',
  },
  CHILD_PROCESS_EXITED: {
    status: 500,
    summary: 'the isolated handler process exited before finishing',
  },
  STORE_CLOSED: { status: 503, summary: 'the Kiln instance was closed' },
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export class KilnError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'KilnError';
    this.code = code;
    this.status = ERROR_CATALOGUE[code].status;
    this.details = details;
  }

  toJSON(): { code: ErrorCode; message: string; details?: unknown } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/**
 * Throw this from a handler to fail the job at once, whatever attempts remain
 * (bad input that no retry will fix, a refused request, …).
 */
export class NonRetryableError extends Error {
  readonly code: string | undefined;
  constructor(message: string, options?: { code?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NonRetryableError';
    this.code = options?.code;
  }
}

export interface StoredError {
  message: string;
  stack?: string;
  code?: string;
}

/** Turns anything a handler threw into what we store: message, stack, code. */
export function coerceError(thrown: unknown): StoredError {
  if (thrown instanceof Error) {
    const code = (thrown as { code?: unknown }).code;
    const out: StoredError = { message: thrown.message || thrown.name };
    if (thrown.stack) out.stack = thrown.stack;
    if (typeof code === 'string') out.code = code;
    return out;
  }
  if (typeof thrown === 'string') return { message: thrown };
  try {
    return { message: JSON.stringify(thrown) ?? String(thrown) };
  } catch {
    return { message: String(thrown) };
  }
}

/** "did you mean" for option names (the nearest known name by edit distance). */
export function suggestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/** Refuses unknown keys in an options object, suggesting the intended name. */
export function checkOptionNames(what: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const hint = suggestName(key, known);
    throw new KilnError(
      'UNKNOWN_OPTION',
      `unknown ${what} option \`${key}\`${hint ? `, did you mean \`${hint}\`?` : ''}`,
      { option: key, known },
    );
  }
}
