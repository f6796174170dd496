/**
 * Zod's verdict on a request, as a catalogue error: UNKNOWN_OPTION when the only
 * trouble is fields the API does not take (a typo, most often), INVALID_ARGUMENT
 * otherwise. `details.issues` lists every issue with its path, as VALIDATION_FAILED does
 * for params.
 */
import type { ZodError } from 'zod';
import { KilnError } from '../core/errors.ts';

const WHERE: Record<string, string> = {
  json: 'request body',
  query: 'query string',
  param: 'path',
  header: 'headers',
  cookie: 'cookies',
};

export interface RequestIssue {
  path: string;
  message: string;
}

export function requestError(target: string, error: ZodError): KilnError {
  const where = WHERE[target] ?? target;
  const issues: RequestIssue[] = [];
  const unknown: string[] = [];
  for (const issue of error.issues) {
    const at = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const path = at ? `${at}.${key}` : key;
        unknown.push(path);
        issues.push({ path, message: `unknown field \`${key}\`` });
      }
    } else {
      issues.push({ path: at, message: issue.message });
    }
  }
  const details = { in: target === 'json' ? 'body' : target, issues };
  const list = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
  if (unknown.length === issues.length) {
    const fields = unknown.map((f) => `\`${f}\``).join(', ');
    return new KilnError(
      'UNKNOWN_OPTION',
      `unknown field${unknown.length > 1 ? 's' : ''} ${fields} in the ${where}`,
      details,
    );
  }
  return new KilnError('INVALID_ARGUMENT', `invalid ${where}: ${list}`, details);
}
