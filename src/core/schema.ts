import type { StandardSchemaV1 } from '@standard-schema/spec';
import { KilnError } from './errors.ts';

export type { StandardSchemaV1 };

export interface ValidationIssue {
  path: string;
  message: string;
}

/**
 * Runs a Standard Schema validator (zod, valibot, arktype, …) and returns its output,
 * or throws VALIDATION_FAILED listing every issue with its path. Synchronous when the
 * validator is (zod's is): bulk enqueues then validate without a promise per job.
 */
export function validateParams<S extends StandardSchemaV1>(
  schema: S,
  type: string,
  value: unknown,
): StandardSchemaV1.InferOutput<S> | Promise<StandardSchemaV1.InferOutput<S>> {
  const result = schema['~standard'].validate(value);
  return result instanceof Promise
    ? result.then((r) => unwrap<S>(r, type))
    : unwrap<S>(result, type);
}

function unwrap<S extends StandardSchemaV1>(
  result: StandardSchemaV1.Result<unknown>,
  type: string,
): StandardSchemaV1.InferOutput<S> {
  if (result.issues) {
    const issues = result.issues.map(toIssue);
    const list = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
    throw new KilnError('VALIDATION_FAILED', `invalid params for job type \`${type}\`: ${list}`, {
      issues,
    });
  }
  return result.value as StandardSchemaV1.InferOutput<S>;
}

function toIssue(issue: StandardSchemaV1.Issue): ValidationIssue {
  const path = (issue.path ?? [])
    .map((p) => (typeof p === 'object' && p !== null ? p.key : p))
    .map(String)
    .join('.');
  return { path, message: issue.message };
}
