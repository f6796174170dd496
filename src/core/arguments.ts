import { KilnError } from './errors.ts';
import { JOB_STATES, type JobState } from './lifecycle.ts';

/**
 * Checks for arguments that TypeScript cannot check for untyped callers (JavaScript, and
 * later HTTP input): a clear INVALID_ARGUMENT instead of a database type error.
 */
export function expectString(name: string, value: unknown): string {
  if (typeof value !== 'string') {
    throw new KilnError('INVALID_ARGUMENT', `${name} must be a string, got ${describe(value)}`);
  }
  return value;
}

/**
 * A name or key to store: a string of 1-`max` characters without a NUL, which
 * PostgreSQL cannot hold in text; refused on every store, so that a database that
 * starts on SQLite can always be copied to PostgreSQL.
 */
export function expectText(name: string, value: unknown, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    const got = typeof value === 'string' ? `${value.length} characters` : describe(value);
    throw new KilnError(
      'INVALID_ARGUMENT',
      `${name} must be a string of 1-${max} characters, got ${got}`,
    );
  }
  if (value.includes('\0')) {
    throw new KilnError('INVALID_ARGUMENT', `${name} must not hold a NUL character (U+0000)`);
  }
  return value;
}

export function expectStates(value: unknown): JobState | JobState[] {
  const states = Array.isArray(value) ? value : [value];
  for (const s of states) {
    if (!JOB_STATES.includes(s as JobState)) {
      throw new KilnError(
        'INVALID_ARGUMENT',
        `state must be one of ${JOB_STATES.join(', ')}, got ${describe(s)}`,
      );
    }
  }
  return value as JobState | JobState[];
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? JSON.stringify(value) : typeof value;
}
