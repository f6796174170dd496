import { backoffDelayMs, DEFAULT_BACKOFF } from '../core/backoff.ts';
import type { AnyJobDefinition } from '../core/define-job.ts';
import { coerceError, KilnError, NonRetryableError, type StoredError } from '../core/errors.ts';
import { jsonText } from '../core/text.ts';
import type { Fence, Settle, StalledSettle } from '../store/store.ts';

/** How an attempt ended, before it is turned into one store call. */
export type Outcome =
  | { ok: true; result: unknown }
  | { ok: false; error: unknown; nonRetryable?: boolean }
  /** Interrupted by shutdown after the grace period: released, not failed. */
  | { released: true };

/** Error codes after which retrying cannot help. */
const FINAL_CODES = new Set(['VALIDATION_FAILED', 'UNKNOWN_JOB_TYPE']);

export function isNonRetryable(error: unknown, definition: AnyJobDefinition | undefined): boolean {
  if (error instanceof NonRetryableError) return true;
  if (error instanceof KilnError && FINAL_CODES.has(error.code)) return true;
  try {
    return definition?.nonRetryable?.(error) === true;
  } catch {
    return false;
  }
}

/**
 * The one decision per attempt (compare Oban's executor): completed, rescheduled with
 * backoff, failed for good, or released. The worker makes exactly one store call for it.
 */
export function decide(
  fence: Fence,
  maxAttempts: number,
  definition: AnyJobDefinition | undefined,
  outcome: Outcome,
  random: () => number = Math.random,
): Settle {
  if ('released' in outcome) return { kind: 'release', fence };
  if (outcome.ok) {
    let resultJson: string | null;
    try {
      resultJson =
        outcome.result === undefined
          ? null
          : jsonText(outcome.result, 'the result', 'INVALID_RESULT');
    } catch (error) {
      return decideFailure(fence, maxAttempts, definition, { error }, random);
    }
    return { kind: 'complete', fence, resultJson };
  }
  return decideFailure(fence, maxAttempts, definition, outcome, random);
}

/** A failed attempt: rescheduled with backoff while attempts and the error allow, else failed. */
export function decideFailure(
  fence: Fence,
  maxAttempts: number,
  definition: AnyJobDefinition | undefined,
  outcome: { error: unknown; nonRetryable?: boolean },
  random: () => number = Math.random,
): StalledSettle {
  const error: StoredError = coerceError(outcome.error);
  const final = outcome.nonRetryable ?? isNonRetryable(outcome.error, definition);
  if (final || fence.attempt >= maxAttempts) return { kind: 'fail', fence, error };
  const delayMs = backoffDelayMs(fence.attempt, definition?.backoff ?? DEFAULT_BACKOFF, random);
  return { kind: 'reschedule', fence, error, delayMs };
}
