/**
 * A value read at most once per `ttlMs`, however often it is asked for: concurrent
 * askers share one read, and a failed read is not kept (the next ask tries again).
 * Scrapes of /metrics then cannot hammer the database.
 */
export function cached<T>(read: () => Promise<T>, ttlMs: number): () => Promise<T> {
  let value: { at: number; data: T } | undefined;
  let inFlight: Promise<T> | undefined;
  return () => {
    if (value !== undefined && performance.now() - value.at < ttlMs) {
      return Promise.resolve(value.data);
    }
    inFlight ??= read()
      .then((data) => {
        value = { at: performance.now(), data };
        return data;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
}
