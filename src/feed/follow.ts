import type { ChangeEvent } from '../core/model.ts';
import type { FeedFilter, Store } from '../store/store.ts';

/** How often an idle follower reads the feed even without a commit notice. */
const POLL_MS = 1_000;
const PAGE = 1_000;
/**
 * How long a follower keeps trying a feed it cannot read (a database restarting, its
 * connections lost) before the watch ends with the error.
 */
const UNREADABLE_MS = 60_000;

/**
 * Follows the change feed after `afterSeq`: reads every change as soon as the store
 * announces a commit (from any process), and at least every second. The store's rows
 * are the truth; a notice only says when to look. A read that fails is tried again
 * (for up to UNREADABLE_MS). Stops when `stopped()` says so.
 */
export async function* followFeed(
  store: Store,
  filter: FeedFilter,
  afterSeq: number,
  stopped: () => boolean,
  signal?: AbortSignal,
): AsyncGenerator<ChangeEvent, void, undefined> {
  for await (const page of followFeedPages(store, filter, afterSeq, stopped, signal)) {
    yield* page;
  }
}

/**
 * The same, a page at a time. A page never ends inside one transaction's group of
 * changes, so a consumer that publishes whole pages never shows half a transaction.
 */
export async function* followFeedPages(
  store: Store,
  filter: FeedFilter,
  afterSeq: number,
  stopped: () => boolean,
  signal?: AbortSignal,
): AsyncGenerator<ChangeEvent[], void, undefined> {
  let cursor = afterSeq;
  let unreadableSince: number | undefined;
  let woken = true;
  let wake: (() => void) | undefined;
  const poke = () => {
    woken = true;
    wake?.();
  };
  const unsubscribe = store.onCommit(poke);
  signal?.addEventListener('abort', poke);
  try {
    while (!stopped()) {
      if (!woken) {
        // The commit watcher's handles are unref'd: this ref'd timer keeps a process that
        // only watches alive while it waits, and doubles as the safety poll.
        let keepAlive: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          wake = resolve;
          keepAlive = setTimeout(resolve, POLL_MS);
        });
        clearTimeout(keepAlive);
      }
      wake = undefined;
      woken = false;
      if (stopped()) break;
      for (;;) {
        let events: ChangeEvent[];
        try {
          events = await store.changesSince(cursor, filter, PAGE);
          unreadableSince = undefined;
        } catch (error) {
          // Tried again at the next notice or poll, from the same cursor: nothing is
          // missed while the store is away, and the watch goes on when it is back.
          unreadableSince ??= Date.now();
          if (Date.now() - unreadableSince > UNREADABLE_MS) throw error;
          break;
        }
        if (events.length === 0) break;
        yield events;
        cursor = events[events.length - 1]!.seq;
        if (events.length < PAGE) break;
      }
    }
  } finally {
    unsubscribe();
    signal?.removeEventListener('abort', poke);
  }
}
