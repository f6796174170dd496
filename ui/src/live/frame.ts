/** One callback per animation frame, however many times it is asked for (coalesced renders). */
export function frameScheduler(run: () => void): () => void {
  let pending = false;
  const raf: (cb: () => void) => unknown =
    typeof requestAnimationFrame === 'function'
      ? (cb) => requestAnimationFrame(cb)
      : (cb) => setTimeout(cb, 16);
  return () => {
    if (pending) return;
    pending = true;
    raf(() => {
      pending = false;
      run();
    });
  };
}
