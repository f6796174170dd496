import { z } from 'zod';

export const DEFAULT_PACE_MS = 300;

/** Milliseconds each demo step waits, standing in for a model call or a render. 0 in tests. */
export const paceMs = z
  .number()
  .int()
  .min(0)
  .max(60_000)
  .default(DEFAULT_PACE_MS)
  .describe('Milliseconds each step takes (0 runs at full speed)');
