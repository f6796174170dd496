import type { TurnInput } from '../../../src/store/store.ts';

/** A store turn with only what a test gives it: nothing to settle, reap, flush or claim. */
export const turnInput = (t: Partial<TurnInput>): TurnInput => ({
  settles: [],
  reaps: [],
  flushes: [],
  claim: null,
  ...t,
});
