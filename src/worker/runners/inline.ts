import type { Attempt } from '../attempt.ts';
import { createContext } from '../context.ts';
import type { Outcome } from '../outcome.ts';

/** Runs the handler in this process. A handler that ignores its signal keeps running. */
export async function runInline(attempt: Attempt, params: unknown): Promise<Outcome> {
  try {
    const result = await attempt.definition.run(createContext(attempt, params));
    return { ok: true, result };
  } catch (error) {
    return { ok: false, error };
  }
}
