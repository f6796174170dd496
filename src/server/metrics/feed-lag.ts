import { Gauge, type Registry } from 'prom-client';
import type { Kiln } from '../../kiln.ts';
import { cached } from './cached.ts';

/** Changes counted past a follower's position at most: enough to alert on, cheap to read. */
export const FEED_LAG_LIMIT = 1_000;

/**
 * How far this server's change-feed followers (the SSE hub) are behind the store.
 *
 * - `follow(position)`: a follower registers a function returning the feed position it
 *   has delivered up to. On scrape, `kiln_feed_lag` is the number of changes committed
 *   after the slowest follower's position (read from the feed itself, counted up to
 *   FEED_LAG_LIMIT, cached like `kiln_jobs`). Positions are not subtracted: on
 *   PostgreSQL they are transaction ids, which other transactions advance too.
 * - `setSeconds(s)`: a follower that knows how long it has been behind (since it last
 *   read the feed to its end) reports it as `kiln_feed_lag_seconds`.
 */
export interface FeedLag {
  follow(position: () => number): () => void;
  setSeconds(seconds: number): void;
}

export function feedLagGauges(registry: Registry, kiln: Kiln, ttlMs: number): FeedLag {
  const followers = new Set<() => number>();
  const behind = cached(async () => {
    if (followers.size === 0) return 0;
    const slowest = Math.min(...[...followers].map((position) => position()));
    const changes = await kiln.store.changesSince(slowest, {}, FEED_LAG_LIMIT);
    return Math.min(changes.length, FEED_LAG_LIMIT);
  }, ttlMs);
  new Gauge({
    name: 'kiln_feed_lag',
    help: `Committed changes this server's slowest change-feed follower has not delivered yet (counted up to ${FEED_LAG_LIMIT})`,
    registers: [registry],
    async collect() {
      this.set(await behind());
    },
  });
  const seconds = new Gauge({
    name: 'kiln_feed_lag_seconds',
    help: "How long this server's change-feed follower has been behind the store, as it reports",
    registers: [registry],
  });
  return {
    follow(position) {
      followers.add(position);
      return () => followers.delete(position);
    },
    setSeconds: (s) => seconds.set(s),
  };
}
