import type { StandardSchemaV1 } from '@standard-schema/spec';
import { KilnError } from './errors.ts';

export type { StandardSchemaV1 };

export interface ValidationIssue {
  path: string;
  message: string;
}

/**
 * Runs a Standard Schema validator (zod, valibot, arktype, …) and returns its output,
 * or throws VALIDATION_FAILED listing every issue with its path.
 */
export async function validateParams<S extends StandardSchemaV1>(
  schema: S,
  type: string,
  value: unknown,
): Promise<StandardSchemaV1.InferOutput<S>> {
  let result = schema['~standard'].validate(value);
  if (result instanceof Promise) result = await result;
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
