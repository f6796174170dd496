import { KilnError } from '../core/errors.ts';

const MAX_PAGE = 1_000;

/** A page size: 50 by default, at most 1,000. */
export function pageLimit(limit: number | undefined): number {
  const n = limit ?? 50;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) {
    throw new KilnError('INVALID_ARGUMENT', `limit must be an integer from 1 to ${MAX_PAGE}`);
  }
  return n;
}
