/** One callback per animation frame, however many times it is asked for (coalesced renders). */

// Typed here rather than by the DOM lib: the unit tests typecheck this file under Node.
const raf = (globalThis as { requestAnimationFrame?: (cb: () => void) => unknown })
  .requestAnimationFrame;

export function frameScheduler(run: () => void): () => void {
  let pending = false;
  const next: (cb: () => void) => unknown = raf
    ? (cb) => raf.call(globalThis, cb)
    : (cb) => setTimeout(cb, 16);
  return () => {
    if (pending) return;
    pending = true;
    next(() => {
      pending = false;
      run();
    });
  };
}
