/** A virtualized list of job rows: only the rows on screen exist in the DOM. */
import { useVirtualizer } from '@tanstack/react-virtual';
import { useLayoutEffect, useRef, useSyncExternalStore } from 'react';
import { JobRow } from './job-row.tsx';

/** One line per row. */
const ROW_PX = 44;
/** Two lines per row (message and heartbeat age below), under NARROW_QUERY: styles.css. */
const ROW_PX_NARROW = 60;
/** The same query as the narrow rows' `@media` in styles.css. */
const NARROW_QUERY = '(max-width: 640px)';

const narrowMedia = () => globalThis.matchMedia?.(NARROW_QUERY);
function subscribeNarrow(onChange: () => void): () => void {
  const m = narrowMedia();
  m?.addEventListener('change', onChange);
  return () => m?.removeEventListener('change', onChange);
}
/** Whether rows are on two lines (the viewport is narrow), following its changes. */
function useNarrowRows(): boolean {
  return useSyncExternalStore(subscribeNarrow, () => narrowMedia()?.matches ?? false);
}

export function JobList(props: { ids: readonly string[]; showBatch?: boolean; label: string }) {
  const parent = useRef<HTMLElement>(null);
  const rowPx = useNarrowRows() ? ROW_PX_NARROW : ROW_PX;
  const v = useVirtualizer({
    count: props.ids.length,
    getScrollElement: () => parent.current,
    estimateSize: () => rowPx,
    overscan: 10,
  });
  // The virtualizer keeps the sizes it computed: a new row height must replace them, or
  // rows would be placed at the old offsets and overlap (or leave gaps).
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-measure when rowPx changes
  useLayoutEffect(() => {
    v.measure();
  }, [v, rowPx]);
  return (
    <section ref={parent} className="job-list" aria-label={props.label}>
      <div style={{ height: v.getTotalSize(), position: 'relative' }}>
        {v.getVirtualItems().map((item) => (
          <JobRow
            key={props.ids[item.index]}
            id={props.ids[item.index]!}
            showBatch={props.showBatch === true}
            style={{
              position: 'absolute',
              top: 0,
              left: 0,
              right: 0,
              height: item.size,
              transform: `translateY(${item.start}px)`,
            }}
          />
        ))}
      </div>
    </section>
  );
}
