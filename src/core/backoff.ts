export interface BackoffPolicy {
  /** Delay before the second attempt; doubles each attempt after. */
  baseMs: number;
  /** Upper bound of the delay. */
  maxMs: number;
  /** 0..1: how much of the delay is randomised ("equal jitter"); 0 is exact. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 5 * 60_000, jitter: 0.5 };

/**
 * Delay after attempt `attempt` (1-based) failed: exponential, capped, then jittered
 * downwards so retries of many jobs that failed together spread out instead of
 * stampeding. `random` is injectable for tests.
 */
export function backoffDelayMs(
  attempt: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 30));
  const raw = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  return Math.round(raw * (1 - jitter * random()));
}
