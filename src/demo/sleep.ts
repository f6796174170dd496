/**
 * Waits `ms`, or rejects with the signal's reason as soon as it aborts (cancel, timeout,
 * lost lease, shutdown), so a demo handler stops within one tick instead of one step.
 * A pace of 0 still checks the signal, so fast test runs stay cancellable.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
