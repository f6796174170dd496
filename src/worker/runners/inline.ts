import type { Attempt } from '../attempt.ts';
import { createContext } from '../context.ts';
import type { Outcome } from '../outcome.ts';

/**
 * Runs the handler in this process. A handler that ignores its signal keeps running.
 * A handler that returns a plain value (not a promise) gets its outcome at once: no
 * promise, no microtask, which a worker running many short jobs notices.
 */
export function runInline(attempt: Attempt, params: unknown): Outcome | Promise<Outcome> {
  let result: unknown;
  try {
    result = attempt.definition.run(createContext(attempt, params));
  } catch (error) {
    return { ok: false, error };
  }
  if (!isThenable(result)) return { ok: true, result };
  return Promise.resolve(result).then(
    (value): Outcome => ({ ok: true, result: value }),
    (error: unknown): Outcome => ({ ok: false, error }),
  );
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
