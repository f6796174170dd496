/** An API refusal: the server's `{error: {code, message, details}}`, with the status. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/**
 * Field issues of a refusal (`details.issues` with paths) by field: the part after the
 * last `params` of the path (`jobs.0.params.grade`, `params.grade`), else its first part
 * (`grade`, as a job type's schema reports it).
 */
export function fieldIssues(error: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(error instanceof ApiError)) return out;
  const issues = (error.details as { issues?: unknown } | undefined)?.issues;
  if (!Array.isArray(issues)) return out;
  for (const issue of issues as { path?: unknown; message?: unknown }[]) {
    const parts = Array.isArray(issue.path)
      ? issue.path.map(String)
      : String(issue.path ?? '')
          .split('.')
          .filter((x) => x !== '');
    const at = parts.lastIndexOf('params');
    const key = at >= 0 ? parts[at + 1] : parts[0];
    if (key && typeof issue.message === 'string' && !(key in out)) out[key] = issue.message;
  }
  return out;
}
